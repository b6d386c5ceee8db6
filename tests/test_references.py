"""References carry a standard Luhn check digit, the one a real back office computes."""

from __future__ import annotations

import pytest
from casefeed import BIRTH_DIGITS, case_row, look_up, luhn_valid, write_csv

from cases.references import is_well_formed
from centre.check_digit import luhn_check_digit

# The cases these tests import name services of the guide.
pytestmark = pytest.mark.usefixtures("guide")

# Published Luhn examples: the number without its last digit, and that last digit.
PUBLISHED = [
    ("7992739871", "3"),  # Wikipedia, "Luhn algorithm": 79927398713
    ("411111111111111", "1"),  # Visa test card 4111 1111 1111 1111
    ("37828224631000", "5"),  # American Express test card 3782 822463 10005
    ("555555555555444", "4"),  # Mastercard test card 5555 5555 5555 4444
    ("04645428", "6"),  # Canadian social insurance number example 046 454 286
]
# Ten-digit references a back office issued (checked by hand: the doubled digits from the
# right, starting next to the check digit, plus the others, make a multiple of ten).
BACK_OFFICE = ["0046454286", "1234567897", "9927398710"]


@pytest.mark.parametrize(("body", "check"), PUBLISHED)
def test_the_check_digit_is_the_published_luhn_digit(body, check):
    assert luhn_check_digit(body) == check


@pytest.mark.parametrize("typed", BACK_OFFICE)
def test_references_from_the_back_office_are_well_formed_and_one_digit_off_is_not(typed):
    assert is_well_formed(typed)
    wrong = typed[:-1] + str((int(typed[-1]) + 5) % 10)
    assert not is_well_formed(wrong)


def test_a_case_from_the_back_office_is_imported_and_found_by_phone(
    app, runner, call, tmp_path, open_hours
):
    rows = [case_row(n, reference=typed) for n, typed in enumerate(BACK_OFFICE)]
    result = runner.invoke(args=["cases", "import", str(write_csv(tmp_path / "c.csv", rows))])
    assert result.exit_code == 0, result.output
    assert "is being examined" in look_up(call(), "en", "1234567897", BIRTH_DIGITS).text


def test_ticket_references_pass_an_independent_luhn_check(app):
    from tickets.services import new_reference

    for _ in range(50):
        reference = new_reference()
        assert len(reference) == 9 and reference[0] != "0"
        assert luhn_valid(reference)
