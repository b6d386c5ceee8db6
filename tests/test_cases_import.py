"""The CSV feed: checked whole first, imported whole or not at all, idempotent, quick."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from casefeed import case_row, reference, with_wrong_check_digit, write_csv

from cases.models import STATUSES, Case, CaseEvent
from centre.extensions import db
from centre.messaging import OutboundMessage

# Every change names a service; the guide must have it (the seed has "passport").
pytestmark = pytest.mark.usefixtures("guide")

LINES = 100_000


def many_rows(count: int, bad_at: int | None = None) -> Iterator[dict[str, str]]:
    """Yield `count` distinct cases (one in ten with a phone); row `bad_at` has a bad status."""
    for n in range(count):
        row = {
            "reference": reference(n),
            "birth_date": f"19{50 + n % 50}-{1 + n % 12:02d}-{1 + n % 28:02d}",
            "service": "passport",
            "status": STATUSES[n % len(STATUSES)],
            "updated_at": "2026-11-20T10:00:00Z",
            "language": "fr",
            "phone": f"+3361{n:07d}" if n % 10 == 0 else "",
        }
        if n == bad_at:
            row["status"] = "lost_in_the_post"
        yield row


def counts(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Return the number of cases and of status changes stored."""
    with app.app_context():
        cases = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
        events = db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent))
        return cases or 0, events or 0


def timed_import(runner, path) -> tuple[str, float]:  # type: ignore[no-untyped-def]
    """Import the file; return the command's output and the seconds it took."""
    started = time.perf_counter()
    result = runner.invoke(args=["cases", "import", str(path)])
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    return result.output, seconds


def test_a_csv_of_100000_rows_is_imported_then_reimported_without_change(app, runner, tmp_path):
    # How fast is "quick" depends on the machine: a tenth of the file, imported first on the
    # same machine at the same moment, is the yardstick. The whole must take no more than
    # ten times as long (linear), with room for a busy machine: not a hundred (quadratic).
    sample = LINES // 10
    output, yardstick = timed_import(runner, write_csv(tmp_path / "part.csv", many_rows(sample)))
    assert f"{sample} new cases" in output
    with app.app_context():  # forget the sample's cases, keep the guide they name
        db.session.execute(sa.delete(CaseEvent))
        db.session.execute(sa.delete(Case))
        db.session.commit()
    path = write_csv(tmp_path / "cases.csv", many_rows(LINES))
    output, seconds = timed_import(runner, path)
    assert f"{LINES} new cases" in output
    assert counts(app) == (LINES, LINES)
    assert seconds < 10 * yardstick * 3, (
        f"{LINES} rows took {seconds:.1f} s, {sample}: {yardstick:.1f} s"
    )
    again = runner.invoke(args=["cases", "import", str(path)])
    assert again.exit_code == 0 and f"{LINES} already known" in again.output
    assert counts(app) == (LINES, LINES)
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.reference == reference(10)))
        assert case.phone_number == "+33610000010" and case.phone_hash not in (None, "")
        assert "1960" not in case.birth_date_proof


def test_a_single_bad_row_in_the_middle_refuses_the_whole_file(app, runner, tmp_path):
    runner.invoke(args=["cases", "import", str(write_csv(tmp_path / "one.csv", [case_row(0)]))])
    before = counts(app)
    path = write_csv(tmp_path / "cases.csv", many_rows(LINES, bad_at=LINES // 2))
    result = runner.invoke(args=["cases", "import", str(path)])
    assert result.exit_code != 0
    assert f"line {LINES // 2 + 2}: status 'lost_in_the_post' is not one of" in result.output
    assert "nothing imported" in result.output
    assert counts(app) == before


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("reference", "123", "is not ten digits with a valid check digit"),
        ("reference", with_wrong_check_digit(reference(1)), "valid check digit"),
        ("birth_date", "05/03/1984", "birth_date must be a date such as 1984-03-05"),
        ("birth_date", "1984-02-30", "is not a real date"),
        ("birth_date", "2099-01-01", "not a plausible date of birth"),
        ("updated_at", "yesterday", "updated_at must be an ISO date-time"),
        ("updated_at", "2099-01-01T00:00:00Z", "is in the future"),
        ("status", "", "status is missing"),
        ("service", "Passport Renewal", "is not a guide slug"),
        ("phone", "0612345678", "international form"),
        ("language", "pt", "language 'pt' is not one of"),
        ("missing_documents", "photos;selfie", "unknown document 'selfie'"),
        ("expected_date", "soon", "expected_date must be a date"),
    ],
)
def test_a_bad_value_is_named_with_its_line(app, runner, tmp_path, field, value, reason):
    rows = [case_row(1), case_row(2, **{field: value}), case_row(3)]
    result = runner.invoke(args=["cases", "import", str(write_csv(tmp_path / "c.csv", rows))])
    assert result.exit_code != 0
    assert "line 3: " in result.output and reason in result.output
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (("reference", "birth_date", "service", "status"), "line 1: missing column 'updated_at'"),
        (
            ("reference", "birth_date", "service", "status", "updated_at", "colour"),
            "unknown column 'colour'",
        ),
    ],
)
def test_a_wrong_header_refuses_the_file(app, runner, tmp_path, header, reason):
    path = write_csv(tmp_path / "c.csv", [case_row(1)], columns=header)
    result = runner.invoke(args=["cases", "import", str(path)])
    assert result.exit_code != 0 and reason in result.output


def test_a_row_with_too_many_fields_is_named(app, runner, tmp_path):
    path = write_csv(tmp_path / "c.csv", [case_row(1)])
    with path.open("a") as file:
        file.write(f"{reference(2)},1984-03-05,passport-renewal,received,2026-11-20,,,,,,extra\n")
    result = runner.invoke(args=["cases", "import", str(path)])
    assert result.exit_code != 0 and "line 3: 11 fields where the header has 10" in result.output


def test_a_later_change_updates_the_case_and_an_older_one_only_joins_its_history(
    app, runner, tmp_path
):
    rows = [
        case_row(
            1, status="in_review", updated_at="2026-11-20T10:00:00Z", expected_date="2026-12-15"
        ),
        case_row(1, status="received", updated_at="2026-11-10T10:00:00Z"),  # older, arrives later
        case_row(
            1,
            status="awaiting_documents",
            updated_at="2026-11-21T10:00:00Z",
            missing_documents="photos",
            expected_date="",
        ),
    ]
    result = runner.invoke(args=["cases", "import", str(write_csv(tmp_path / "c.csv", rows))])
    assert result.exit_code == 0, result.output
    assert "1 new cases, 1 status changes, 1 older changes kept as history" in result.output
    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        assert (case.status, case.missing_documents, case.expected_date) == (
            "awaiting_documents",
            "photos",
            None,
        )
        history = db.session.scalars(
            sa.select(CaseEvent.status).order_by(CaseEvent.changed_at)
        ).all()
        assert history == ["received", "in_review", "awaiting_documents"]


def test_news_is_texted_once_per_change_in_the_case_language(app, runner, tmp_path):
    first = [
        case_row(1, status="in_review", language="de", phone="+4915112345678"),
        case_row(2, status="in_review", phone=""),
    ]
    runner.invoke(args=["cases", "import", str(write_csv(tmp_path / "a.csv", first))])
    changes = [
        case_row(
            1,
            status="awaiting_documents",
            missing_documents="photos",
            updated_at="2026-11-21T09:00:00Z",
            language="de",
            phone="+4915112345678",
        ),
        case_row(2, status="ready_for_collection", updated_at="2026-11-21T09:00:00Z", phone=""),
    ]
    path = write_csv(tmp_path / "b.csv", changes)
    assert "1 SMS sent" in runner.invoke(args=["cases", "import", str(path)]).output
    assert "0 SMS sent" in runner.invoke(args=["cases", "import", str(path)]).output
    ready = [
        case_row(
            1,
            status="ready_for_collection",
            updated_at="2026-11-25T09:00:00Z",
            language="de",
            phone="+4915112345678",
        )
    ]
    runner.invoke(args=["cases", "import", str(write_csv(tmp_path / "c.csv", ready))])
    review = [case_row(1, status="collected", updated_at="2026-11-26T09:00:00Z")]
    runner.invoke(args=["cases", "import", str(write_csv(tmp_path / "d.csv", review))])
    with app.app_context():
        messages = db.session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)).all()
        assert [(m.to_number, m.language, m.purpose) for m in messages] == [
            ("+4915112345678", "de", "case:awaiting_documents"),
            ("+4915112345678", "de", "case:ready_for_collection"),
        ]
        assert reference(1) in messages[0].body and "Passbilder" in messages[0].body
        assert "Dienstag, 15. Dezember 2026" in messages[1].body
        notified = dict(
            db.session.execute(
                sa.select(CaseEvent.status, CaseEvent.notified).where(CaseEvent.case_id == 2)
            ).all()
        )
        assert notified == {"in_review": None, "ready_for_collection": "no_phone"}


def test_a_phone_number_is_never_printed_in_clear(app, runner, tmp_path, caplog):
    first = [case_row(1, status="in_review", phone="+33698765432")]
    runner.invoke(args=["cases", "import", str(write_csv(tmp_path / "a.csv", first))])
    later = [
        case_row(
            1,
            status="ready_for_collection",
            updated_at="2026-11-21T09:00:00Z",
            phone="+33698765432",
        )
    ]
    result = runner.invoke(args=["cases", "import", str(write_csv(tmp_path / "b.csv", later))])
    assert "1 SMS sent" in result.output
    assert "698765432" not in result.output + caplog.text
    assert "+33*******32" in caplog.text
