"""An editor's facts form: each refusal says why and saves nothing; an old version comes back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from helpers import csrf_token, post_form
from test_guide_workspace import EDITOR, facts_form, page_of

from centre.extensions import db
from knowledge import editing
from knowledge.models import ServiceFacts

PAGE = f"{EDITOR}/services/passport/facts"


def versions(app) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """Return (version, status) of the passport's facts, oldest first."""
    with app.app_context():
        service = editing.service_by_slug("passport")
        rows = db.session.execute(
            sa.select(ServiceFacts.version, ServiceFacts.status)
            .where(ServiceFacts.service_id == service.id)
            .order_by(ServiceFacts.version)
        )
        return [(version, status) for version, status in rows]


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        ({"category": "nowhere"}, "Unknown category: nowhere."),
        ({"source_language": "pt"}, "Unknown language: pt."),
        ({"position": "-2"}, "must be a whole number."),
        (
            {"fee_kind": ["", "adult"], "fee_amount": ["10", "20"], "fee_checked": ["", ""]},
            "Each fee needs a kind (standard, adult, minor...).",
        ),
        (
            {"fee_kind": ["adult", "adult"], "fee_amount": ["10", "20"], "fee_checked": ["", ""]},
            "Two fees have the same kind: adult.",
        ),
        (
            {"fee_kind": ["adult"], "fee_amount": ["10"], "fee_checked": ["1st May"]},
            "Dates are written YYYY-MM-DD.",
        ),
        (
            {"fee_kind": ["adult"], "fee_amount": ["ten"], "fee_checked": [""]},
            "must be a whole number.",
        ),
    ],
)
def test_a_refused_facts_form_says_why_and_saves_nothing(app, guide, log_in, changed, message):
    editor = log_in("editor", locale="en")
    before = versions(app)
    token = csrf_token(editor, PAGE)
    refused = editor.post(
        PAGE, data={"csrf_token": token, **facts_form(app, "passport", **changed)}
    )
    assert refused.status_code == 422
    assert message in page_of(refused)
    assert versions(app) == before


def test_an_empty_fee_row_is_ignored(app, guide, log_in):
    editor = log_in("editor", locale="en")
    form = facts_form(app, "passport")
    for name in ("fee_kind", "fee_amount", "fee_checked"):
        form[name] = [*form[name], ""]  # type: ignore[misc]
    token = csrf_token(editor, PAGE)
    saved = editor.post(PAGE, data={"csrf_token": token, **form})
    assert saved.status_code == 302
    assert "Nothing changed." in page_of(editor.get(PAGE))


def test_an_earlier_facts_version_is_restored_into_a_draft_and_published(app, guide, log_in):
    editor = log_in("editor", locale="en")
    with app.app_context():
        original = editing.live_facts(editing.service_by_slug("passport"))
    token = csrf_token(editor, PAGE)
    changed = facts_form(app, "passport", delay_days="45")
    assert editor.post(PAGE, data={"csrf_token": token, **changed}).status_code == 302
    post_form(editor, f"{PAGE}/publish", {}, PAGE)
    with app.app_context():
        assert editing.live_facts(editing.service_by_slug("passport"))["delay_days"] == 45
    restored = post_form(editor, f"{PAGE}/restore", {"version": "1"}, PAGE)
    assert restored.status_code == 302
    assert "Version restored into the draft (version 3)" in page_of(editor.get(PAGE))
    post_form(editor, f"{PAGE}/publish", {}, PAGE)
    with app.app_context():
        assert editing.live_facts(editing.service_by_slug("passport")) == original
    assert versions(app)[-1] == (3, "published")


def test_restoring_a_version_that_does_not_exist_or_is_the_draft_is_refused(app, guide, log_in):
    editor = log_in("editor", locale="en")
    before = versions(app)
    for number in ("99", ""):
        refused = post_form(editor, f"{PAGE}/restore", {"version": number}, PAGE)
        assert refused.status_code == 302
        assert "There is no such version." in page_of(editor.get(PAGE))
    assert versions(app) == before
