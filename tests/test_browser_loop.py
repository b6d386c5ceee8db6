"""The whole loop in headless Chromium: a caller complains, is answered, rates us, follows up.

The caller is driven as Twilio drives the app (ivr.driver, signed webhooks); the agent and
the supervisor use the pages in a browser; the texts the caller gets are read from the outbox.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import TWILIO_SID
from helpers import walk_to_main_menu
from test_browser_answer import DURATION
from test_browser_desk import log_in_page
from test_ticket_story import INTERNAL

from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr import sounds
from tickets import replies
from tickets.models import Ticket

pytestmark = pytest.mark.browser
CALLER = "+33612345678"

# What each language's agent clicks and reads, and what its caller hears.
WORDS = {
    "fr": {
        "reply": ("Accusé de réception", "Centre d’appels : nous avons bien reçu {reference}."),
        "send": "Envoyer le SMS",
        "save": "Enregistrer",
        "closing": "Votre passeport est prêt : venez le retirer au consulat.",
        "score": "5 sur 5",
        "handled": "a été traitée",
        "survey": "Répondez par un seul chiffre",
        "heard": "Elle a été traitée, et la requête est close.",
    },
    "ar": {
        "reply": ("تأكيد الاستلام", "مركز الاتصال القنصلي: توصلنا بطلبكم رقم {reference}."),
        "send": "إرسال الرسالة النصية",
        "save": "حفظ",
        "closing": "جواز سفركم جاهز: يمكنكم سحبه من القنصلية.",
        "score": "5 من 5",
        "handled": "تمت معالجة شكواك",
        "survey": "أجيبوا برقم واحد من 1",
        "heard": "تمت معالجته، وأُغلق الملتمس.",
    },
}


def texts_to_caller(app) -> list[OutboundMessage]:  # type: ignore[no-untyped-def]
    """Return the text messages queued for the caller, oldest first."""
    with app.app_context():
        found = list(
            db.session.scalars(
                sa.select(OutboundMessage)
                .where(OutboundMessage.to_number == CALLER, OutboundMessage.channel == "sms")
                .order_by(OutboundMessage.id)
            )
        )
        db.session.expunge_all()
        return found


def cells(page, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the cells of the dashboard's table `key` (one row expected), as read."""
    table = page.locator(f'table[data-figure="{key}"]')
    table.locator("xpath=ancestor::details").locator("summary").click()  # "the figures as a table"
    rows = table.locator("tbody tr")
    assert rows.count() == 1
    return [cell.strip() for cell in rows.first.locator("td").all_inner_texts()]


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_complaint_is_heard_answered_resolved_rated_and_followed_by_phone(
    app, live_server, browser, page, call, make_user, open_hours, twilio_api, screenshots, language
):  # type: ignore[no-untyped-def]
    words = WORDS[language]
    title, body = words["reply"]
    with app.app_context():
        replies.keep(None, language, title, body)
        db.session.commit()
    # The caller complains and records a message; Twilio keeps the recording.
    phone = call(caller=CALLER)
    walk_to_main_menu(phone, language)
    phone.press("3")
    phone.press("1")
    phone.leave_message(seconds=sounds.MESSAGE_SECONDS)
    assert phone.recording_ready() == 200
    phone.hang_up()
    with app.app_context():
        (ticket,) = db.session.scalars(sa.select(Ticket)).all()
        ticket_id, reference, sid = ticket.id, ticket.reference, ticket.recordings[0].recording_sid
    # The app fetches the recording from Twilio with its credentials, for the agent's player.
    twilio_api.get(
        f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Recordings/{sid}.mp3",
        body=sounds.message(),
        content_type="audio/mpeg",
    )
    agent = make_user("agent", language, locale=language)
    log_in_page(page, live_server, agent.email, agent.password, f"/tickets/{ticket_id}")
    assert page.evaluate(DURATION) == pytest.approx(sounds.MESSAGE_SECONDS, abs=0.1)
    story = page.locator("#story").inner_text()
    assert story.strip() and not INTERNAL.search(story), story
    # A prepared reply, then the resolution with the agent's words shared.
    panel = page.locator("#answer")
    panel.get_by_label(title).check()
    panel.get_by_role("button", name=words["send"]).click()
    replied = body.replace("{reference}", reference)
    assert replied in page.locator("ul.notes").inner_text()
    form = page.locator("form#save")
    form.locator("textarea[name=note]").fill(words["closing"])
    form.locator("select[name=status]").select_option("resolved")
    form.locator("input[name=share]").check()
    form.get_by_role("button", name=words["save"]).click()
    page.wait_for_load_state()
    # The caller is told it was handled, with the agent's words, then asked to rate it.
    sent = texts_to_caller(app)
    purposes = [m.purpose for m in sent]
    assert purposes[-3:] == ["reply", "resolution", "ticket:survey"], purposes
    reply, resolution, survey = sent[-3:]
    assert reply.body == replied
    assert reference in resolution.body and words["closing"] in resolution.body
    assert words["handled"] in resolution.body
    assert reference in survey.body and words["survey"] in survey.body
    assert {m.language for m in sent} == {language}
    # The caller answers the survey by text, as Twilio posts it (signed).
    assert phone.text("5")[0] == 200
    page.reload()
    assert words["score"] in page.locator("#satisfaction").inner_text()
    # The ticket is the agent's who answered it; nobody else to hand it to: no empty list.
    assert page.locator("#assignee").inner_text() == agent.email
    assert page.locator("select[name=to]").count() == 0
    notes = page.locator("ul.notes").inner_text()
    assert replied in notes and words["closing"] in notes
    page.set_viewport_size({"width": 1100, "height": 900})
    page.screenshot(path=str(screenshots / f"ticket-loop-{language}.png"), full_page=True)
    # The supervisor's dashboard counts the answer for the language, the type and the agent.
    supervisor = make_user("supervisor", "", locale=language)
    context = browser.new_context()
    try:
        boss = context.new_page()
        log_in_page(
            boss,
            live_server,
            supervisor.email,
            supervisor.password,
            "/reports/?from=2026-12-01&to=2026-12-01",
        )
        by_agent = cells(boss, "satisfaction-agent")
        assert by_agent[0] == agent.email and by_agent[1] == "1" and by_agent[3] == "100", by_agent
        by_type = cells(boss, "satisfaction-type")
        assert by_type[1:2] == ["1"] and by_type[3] == "100", by_type
        boss.screenshot(path=str(screenshots / f"dashboard-loop-{language}.png"), full_page=True)
    finally:
        context.close()
    # The caller calls back and follows the same reference at option 2.
    again = call(caller=CALLER)
    walk_to_main_menu(again, language)
    again.press("2")
    heard = again.press(reference + "#")
    assert ", ".join(reference) in heard.text
    assert words["heard"] in heard.text, heard.text
