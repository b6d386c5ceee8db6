"""Work typed by staff is never lost: conflicts show both sides, long text is refused whole."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from helpers import post_form, ticket_version

from centre.extensions import db
from tickets import services
from tickets.models import Ticket, TicketNote

HASH_KEY = "test-phone-key"


def open_ticket(app, language: str = "fr") -> int:  # type: ignore[no-untyped-def]
    """Open a complaint as the phone menu does; return its id."""
    with app.app_context():
        ticket = services.open_ticket("complaint", language, "+33612345678", HASH_KEY, country="FR")
        db.session.commit()
        return ticket.id


def note_count(app) -> int:  # type: ignore[no-untyped-def]
    """Return how many notes the desk holds."""
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(TicketNote)) or 0


def selected_status(page: str) -> str:
    """Return the status chosen in the note form's select."""
    form = page[page.index('id="save"') :]
    found = re.search(r'<option value="(\w+)" selected>', form)
    assert found, "no status chosen"
    return found.group(1)


def test_the_desk_conflict_page_keeps_the_status_and_note_the_agent_chose(app, log_in):
    ticket_id = open_ticket(app)
    first, second = log_in("agent", "fr"), log_in("agent", "fr")
    seen = ticket_version(app, ticket_id)
    page = f"/tickets/{ticket_id}"
    assert (
        post_form(
            first,
            f"{page}/save",
            {"version": seen, "status": "open", "note": "Pris en charge"},
            page,
        ).status_code
        == 302
    )
    late = post_form(
        second,
        f"{page}/save",
        {"version": seen, "status": "resolved", "note": "Passeport envoyé"},
        page,
    )
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert "Passeport envoyé</textarea>" in html
    assert selected_status(html) == "resolved"  # not the ticket's "open"


def test_an_over_long_desk_note_is_refused_whole_and_kept_in_the_form(app, log_in):
    ticket_id = open_ticket(app)
    agent = log_in("agent", "fr")
    page = f"/tickets/{ticket_id}"
    assert 'maxlength="5000"' in agent.get(page).get_data(as_text=True)
    typed = "Le demandeur explique. " * 8700  # about 200,000 characters
    refused = post_form(
        agent,
        f"{page}/save",
        {"version": ticket_version(app, ticket_id), "status": "waiting", "note": typed},
        page,
    )
    assert refused.status_code == 422
    html = unescape(refused.get_data(as_text=True))
    assert "Trop long" in html and "5\u202f000" in html
    assert typed.strip() in html and selected_status(html) == "waiting"
    assert note_count(app) == 0  # nothing cut and stored behind the agent's back
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "new"


# --- the guide's texts ---------------------------------------------------------------------

EDITOR = "/guide/editor"


def revision_on(page: str) -> str:
    """Return the revision the text editor's form was loaded from."""
    found = re.search(r'name="revision" value="([^"]+)"', page)
    assert found, "the form carries no revision"
    return found.group(1)


def draft_summary(app, slug: str, code: str) -> str:  # type: ignore[no-untyped-def]
    """Return the summary of the newest version of a service's text."""
    from knowledge import editing

    with app.app_context():
        latest = editing.latest_text(editing.service_by_slug(slug), code)
        return latest.summary


def test_the_second_editor_saving_from_the_same_version_is_told_and_keeps_their_text(
    app, guide, log_in
):
    first, second = log_in("editor", locale="en"), log_in("editor", locale="fr")
    page = f"{EDITOR}/services/passport/en"
    loaded = revision_on(first.get(page).get_data(as_text=True))
    assert revision_on(second.get(page).get_data(as_text=True)) == loaded
    mine = "Apply online, then come in person with two photos."
    theirs = "Book an appointment first; bring the old passport."
    saved = post_form(first, page, {"revision": loaded, "summary": theirs})
    assert saved.status_code == 302
    late = post_form(second, page, {"revision": loaded, "summary": mine})
    assert late.status_code == 409
    html = unescape(late.get_data(as_text=True))
    assert "Quelqu'un d'autre a enregistré ce texte" in html and first.member.email in html
    shown = html[html.index('id="their-version"') : html.index('id="text-form"')]
    assert theirs in shown and mine not in shown  # their version, beside...
    assert f"{mine}</textarea>" in html  # ...the second editor's text, still in the form
    assert draft_summary(app, "passport", "en") == theirs  # the first change is not lost
    # Having compared, the second editor saves again from the page the conflict showed.
    again = post_form(second, page, {"revision": revision_on(html), "summary": mine})
    assert again.status_code == 302 and draft_summary(app, "passport", "en") == mine


def facts_of(app, slug: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Return the newest facts of a service (its open draft, else the live facts)."""
    from knowledge import editing

    with app.app_context():
        return editing.latest_facts(editing.service_by_slug(slug))


def test_the_second_editor_saving_facts_from_the_same_version_is_told_and_keeps_theirs(
    app, guide, log_in
):
    from test_guide_workspace import facts_form

    first, second = log_in("editor", locale="en"), log_in("editor", locale="fr")
    page = f"{EDITOR}/services/passport/facts"
    loaded = revision_on(first.get(page).get_data(as_text=True))
    assert revision_on(second.get(page).get_data(as_text=True)) == loaded
    form = facts_form(app, "passport")
    theirs = {**form, "delay_days": "21", "source_url": "https://consulat.example.ma/passeport"}
    mine = {**form, "delay_days": "45"}
    assert post_form(first, page, {**theirs, "revision": loaded}).status_code == 302
    late = post_form(second, page, {**mine, "revision": loaded})
    assert late.status_code == 409
    html = unescape(late.get_data(as_text=True))
    assert "Quelqu'un d'autre a enregistré ces informations" in html
    assert first.member.email in html
    shown = html[html.index('id="their-version"') : html.index('id="facts-form"')]
    # Their version, where it differs from the second editor's: the delay and the link...
    assert ">21</bdi>" in shown and "https://consulat.example.ma/passeport" in shown
    assert "45" not in shown
    assert 'name="delay_days" type="number" min="0" value="45"' in html  # ...beside theirs
    assert facts_of(app, "passport")["delay_days"] == 21  # the first change is not lost
    # Having compared, the second editor saves again from the page the conflict showed.
    again = post_form(second, page, {**mine, "revision": revision_on(html)})
    assert again.status_code == 302 and facts_of(app, "passport")["delay_days"] == 45
    # A save from the page as it now is goes through; from the old one, again refused.
    assert post_form(first, page, {**theirs, "revision": loaded}).status_code == 409


def test_an_over_long_guide_title_is_refused_and_kept_in_the_form(app, guide, log_in):
    editor = log_in("editor", locale="fr")
    page = f"{EDITOR}/services/passport/en"
    assert 'maxlength="200"' in editor.get(page).get_data(as_text=True)
    typed = "Passport " * 30  # 270 characters
    refused = post_form(editor, page, {"title": typed})
    assert refused.status_code == 422
    html = unescape(refused.get_data(as_text=True))
    assert "Trop long" in html and typed.strip() in html
    from knowledge import editing

    with app.app_context():
        latest = editing.latest_text(editing.service_by_slug("passport"), "en")
        assert latest.version == 1 and len(latest.title) < 200


# --- the centre's pages ----------------------------------------------------------------------


def test_an_over_long_closure_reason_or_notice_is_refused_and_kept(app, log_in, open_hours):
    from centre.calendar import Closure
    from centre.languages import CODES
    from centre.notices import Notice

    client = log_in("supervisor", "", locale="fr")
    assert 'maxlength="200"' in client.get("/centre/closures").get_data(as_text=True)
    reason = "Coupure de courant annoncée par la régie. " * 6  # 252 characters
    form = {"starts": "2026-12-24T14:00", "ends": "2026-12-24T20:00", "kind": "maintenance"}
    refused = post_form(client, "/centre/closures", {**form, "reason": reason})
    assert refused.status_code == 422
    html = unescape(refused.get_data(as_text=True))
    assert "Trop long" in html and reason.strip() in html
    assert 'maxlength="1000"' in client.get("/centre/notices").get_data(as_text=True)
    texts = {f"text_{code}": f"Avis {code}" for code in CODES}
    long_text = "Le consulat sera fermé pour inventaire. " * 30  # 1,200 characters
    notice = {
        "starts": "2026-12-01T00:00",
        "ends": "2026-12-10T00:00",
        **texts,
        "text_fr": long_text,
    }
    refused = post_form(client, "/centre/notices", notice)
    assert refused.status_code == 422
    html = unescape(refused.get_data(as_text=True))
    assert "Trop long" in html and long_text in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


# --- a session that lapses while typing --------------------------------------------------------


def test_a_note_posted_after_the_session_lapsed_is_back_in_the_form_after_logging_in(
    app, make_user, time_machine
):
    from helpers import csrf_token
    from helpers import log_in as submit_login

    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)
    ticket_id = open_ticket(app)
    member, colleague = make_user("agent", "fr"), make_user("agent", "fr")
    agent = app.test_client()
    assert submit_login(agent, member.email, member.password).status_code == 302
    page = f"/tickets/{ticket_id}"
    token, seen = csrf_token(agent, page), ticket_version(app, ticket_id)
    # The agent types a long note and goes for lunch; the session lapses (30 idle minutes).
    time_machine.move_to("2026-12-01T10:45:00+00:00", tick=False)
    note = "Le demandeur a rappelé : il attend toujours son passeport, envoyé le 12 novembre."
    posted = agent.post(
        f"{page}/save",
        data={"csrf_token": token, "version": seen, "status": "waiting", "note": note},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert posted.status_code == 302
    assert posted.headers["Location"] == f"/staff/login?next=/tickets/{ticket_id}"
    login_page = agent.get(posted.headers["Location"]).get_data(as_text=True)
    assert "Votre session a expiré" in unescape(login_page)
    # A colleague logging in on this browser first is not shown the note.
    submit_login(agent, colleague.email, colleague.password, next_path=page)
    assert note not in unescape(agent.get(page).get_data(as_text=True))
    back = submit_login(agent, member.email, member.password, next_path=page)
    assert back.status_code == 302 and back.headers["Location"] == page  # not the POST-only URL
    html = unescape(agent.get(page).get_data(as_text=True))
    assert f"{note}</textarea>" in html and selected_status(html) == "waiting"
    assert "est revenu dans le formulaire" in html
    assert note_count(app) == 0  # shown back, not saved behind the agent's back
    # Taken back once: a reload shows the ticket as it is.
    assert note not in agent.get(page).get_data(as_text=True)
    # Saving the form as it came back records the note.
    saved = post_form(
        agent, f"{page}/save", {"version": seen, "status": "waiting", "note": note}, page
    )
    assert saved.status_code == 302 and note_count(app) == 1


@pytest.mark.parametrize(
    ("referer", "back_to"),
    [
        ("http://localhost/tickets/{id}?tab=history", "/tickets/{id}?tab=history"),
        ("https://elsewhere.example/tickets/{id}?tab=history", "/tickets/{id}/save"),
        ("http://localhost//elsewhere.example/", "/tickets/{id}/save"),
        ("", "/tickets/{id}/save"),
    ],
    ids=["this site, with its query", "another site", "a path leaving the site", "none"],
)
def test_after_a_lapse_the_login_leads_back_to_the_page_the_form_was_on_if_it_is_ours(
    app, make_user, time_machine, referer, back_to
):
    from helpers import csrf_token
    from helpers import log_in as submit_login

    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)
    ticket_id = open_ticket(app)
    member = make_user("agent", "fr")
    agent = app.test_client()
    assert submit_login(agent, member.email, member.password).status_code == 302
    page = f"/tickets/{ticket_id}"
    token, seen = csrf_token(agent, page), ticket_version(app, ticket_id)
    time_machine.move_to("2026-12-01T10:45:00+00:00", tick=False)
    posted = agent.post(
        f"{page}/save",
        data={"csrf_token": token, "version": seen, "status": "waiting", "note": "Rappeler."},
        headers={"Referer": referer.format(id=ticket_id)} if referer else {},
    )
    location = urlsplit(posted.headers["Location"])
    assert (posted.status_code, location.path) == (302, "/staff/login")
    assert parse_qs(location.query)["next"] == [back_to.format(id=ticket_id)]


def test_a_guide_text_posted_after_the_session_lapsed_is_back_in_the_editor(
    app, guide, make_user, time_machine
):
    from helpers import csrf_token
    from helpers import log_in as submit_login

    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)
    member = make_user("editor", "fr")
    editor = app.test_client()
    submit_login(editor, member.email, member.password)
    page = f"{EDITOR}/services/passport/en"
    loaded = editor.get(page).get_data(as_text=True)
    token, revision = csrf_token(editor, page), revision_on(loaded)
    time_machine.move_to("2026-12-01T11:00:00+00:00", tick=False)
    summary = "Passports are now renewed by appointment only, in person."
    posted = editor.post(page, data={"csrf_token": token, "revision": revision, "summary": summary})
    assert posted.headers["Location"] == f"/staff/login?next={page}"
    back = submit_login(editor, member.email, member.password, next_path=page)
    assert back.headers["Location"] == page
    html = unescape(editor.get(page).get_data(as_text=True))
    assert f"{summary}</textarea>" in html and revision_on(html) == revision
    assert draft_summary(app, "passport", "en") != summary
