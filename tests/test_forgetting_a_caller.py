"""Forgetting a caller reaches every domain that holds their number: cases and lookups included.

A case is the consulate's record of an application: it stays, with its status and history.
What points to the caller goes: the number the back office gave for text messages, its keyed
hash, and the hash on their lookups by phone (whose outcomes stay for the figures).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from casefeed import BIRTH_DIGITS, COLUMNS, case_row, look_up, reference, write_csv

from cases.models import Case, CaseEvent, CaseLookup
from centre import phones
from centre.extensions import db
from centre.messaging import OutboundMessage

pytestmark = pytest.mark.usefixtures("guide")

CALLER = "+33612345678"
SOMEONE_ELSE = "+33698765432"


def _import(runner, path):  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["cases", "import", str(path)])
    assert result.exit_code == 0, result.output
    return result


def test_anonymising_a_caller_drops_their_number_from_their_cases_and_lookups_only(
    app, call, runner, tmp_path, open_hours
):
    _import(
        runner,
        write_csv(tmp_path / "a.csv", [case_row(1, phone=CALLER), case_row(2, phone=SOMEONE_ELSE)]),
    )
    for number, case in ((CALLER, 1), (SOMEONE_ELSE, 2)):
        heard = look_up(call(caller=number), "en", reference(case), BIRTH_DIGITS).text
        assert "is being examined" in heard, heard
    digest = phones.keyed_hash(CALLER, "test-phone-key")
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(CaseLookup)
                .where(CaseLookup.caller_hash == digest)
            )
            == 1
        )

    result = runner.invoke(args=["privacy", "anonymise", "+33 6 12 34 56 78"])
    assert result.exit_code == 0, result.output
    assert "case numbers: 1" in result.output and "case lookups: 1" in result.output

    with app.app_context():
        mine = db.session.scalars(sa.select(Case).where(Case.reference == reference(1))).one()
        theirs = db.session.scalars(sa.select(Case).where(Case.reference == reference(2))).one()
        # The application stays as the back office reported it; the number and its hash go.
        assert (mine.status, mine.service, mine.phone_number, mine.phone_hash) == (
            "in_review",
            "passport",
            None,
            None,
        )
        assert theirs.phone_number == SOMEONE_ELSE and theirs.phone_hash is not None
        lookups = db.session.execute(
            sa.select(CaseLookup.case_id, CaseLookup.outcome, CaseLookup.caller_hash).order_by(
                CaseLookup.id
            )
        ).all()
        # Both lookups still count (their outcomes); only the caller's hash is gone from theirs.
        assert [(row.case_id, row.outcome) for row in lookups] == [
            (mine.id, "found"),
            (theirs.id, "found"),
        ]
        assert lookups[0].caller_hash is None and lookups[1].caller_hash is not None
        assert digest not in " ".join(
            str(value) for row in db.session.execute(sa.select(Case.__table__)) for value in row
        )


def test_news_of_a_forgotten_callers_case_is_no_longer_texted_to_them(
    app, runner, tmp_path, open_hours
):
    _import(runner, write_csv(tmp_path / "a.csv", [case_row(1, phone=CALLER)]))
    assert runner.invoke(args=["privacy", "anonymise", CALLER]).exit_code == 0
    # The back office's next change does not give the number again (no phone column).
    later = case_row(1, status="ready_for_collection", updated_at="2026-11-25T09:00:00Z")
    columns = [name for name in COLUMNS if name != "phone"]
    imported = _import(runner, write_csv(tmp_path / "b.csv", [later], columns))
    assert "0 SMS sent" in imported.output
    with app.app_context():
        assert not db.session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.purpose.like("case:%"))
        ).all()
        case_id = db.session.scalar(sa.select(Case.id).where(Case.reference == reference(1)))
        notified = db.session.scalar(
            sa.select(CaseEvent.notified).where(
                CaseEvent.case_id == case_id, CaseEvent.status == "ready_for_collection"
            )
        )
        assert notified == "no_phone"


def test_every_domain_that_holds_a_callers_number_registers_how_to_forget_it(app):
    hooks = {hook.__module__ for hook in app.extensions["privacy.forget_caller"]}
    assert hooks == {"centre.messaging", "tickets.privacy", "ivr.privacy", "cases.privacy"}


def test_a_case_imported_under_an_earlier_hash_key_is_found_by_its_number(
    app, runner, tmp_path, open_hours
):
    key = app.config["PHONE_HASH_KEY"]
    app.config["PHONE_HASH_KEY"] = "an-earlier-phone-key"  # since replaced
    _import(runner, write_csv(tmp_path / "a.csv", [case_row(1, phone=CALLER)]))
    app.config["PHONE_HASH_KEY"] = key
    result = runner.invoke(args=["privacy", "anonymise", CALLER])
    assert result.exit_code == 0, result.output
    assert "case numbers: 1" in result.output
    with app.app_context():
        case = db.session.scalars(sa.select(Case)).one()
        assert (case.phone_number, case.phone_hash) == (None, None)
