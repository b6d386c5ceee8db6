"""Answering the caller in headless Chromium: the recording plays, a prepared reply is sent."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from test_browser_desk import log_in_page

from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr import sounds
from tickets import replies, services

pytestmark = pytest.mark.browser

DURATION = """() => new Promise((resolve, reject) => {
  const audio = document.querySelector("section audio");
  audio.addEventListener("loadedmetadata", () => resolve(audio.duration));
  audio.addEventListener("error", () => reject(new Error("the audio did not load")));
  audio.preload = "metadata";
  audio.load();
})"""


def complaint_with_message(app, language: str, caller: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """Open a complaint whose recorded message the app holds; return its id and reference."""
    with app.app_context():
        ticket = services.open_ticket("complaint", language, caller, "k", country="FR")
        db.session.flush()
        sid = "RE" + f"{ticket.id:032x}"
        services.attach_recording(ticket.id, sid, "app", sounds.MESSAGE_SECONDS)
        services.keep_audio(sid, sounds.message())
        db.session.commit()
        return ticket.id, ticket.reference


@pytest.mark.parametrize(
    ("language", "reply", "send"),
    [
        (
            "fr",
            ("Accusé de réception", "Centre d’appels : nous avons bien reçu {reference}."),
            "Envoyer le SMS",
        ),
        (
            "ar",
            ("تأكيد الاستلام", "مركز الاتصال القنصلي: توصلنا بطلبكم رقم {reference}."),
            "إرسال الرسالة النصية",
        ),
    ],
)
def test_the_agent_hears_the_message_and_texts_a_prepared_reply(
    app, live_server, page, make_user, open_hours, screenshots, language, reply, send
):
    title, body = reply
    with app.app_context():
        replies.keep(None, language, title, body)
        db.session.commit()
    ticket_id, reference = complaint_with_message(app, language, "+33612345678")
    agent = make_user("agent", language, locale=language)
    log_in_page(page, live_server, agent.email, agent.password, f"/tickets/{ticket_id}")
    # The player loads the message through the app: a real sound of a few seconds.
    assert page.evaluate(DURATION) == pytest.approx(sounds.MESSAGE_SECONDS, abs=0.1)
    panel = page.locator("#answer")
    assert body.replace("{reference}", reference) in panel.inner_text()
    page.set_viewport_size({"width": 1100, "height": 900})
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"ticket-reply-{language}.png"))
    panel.get_by_label(title).check()
    panel.get_by_role("button", name=send).click()
    assert body.replace("{reference}", reference) in page.locator("ul.notes").inner_text()
    with app.app_context():
        sent = db.session.scalars(sa.select(OutboundMessage)).one()
        assert (sent.purpose, sent.to_number, sent.language) == ("reply", "+33612345678", language)
        assert sent.body == body.replace("{reference}", reference)


@pytest.mark.parametrize(("locale", "save"), [("fr", "Enregistrer"), ("ar", "حفظ")])
def test_a_supervisor_adds_a_prepared_reply_on_the_page(
    app, live_server, page, make_user, screenshots, locale, save
):
    supervisor = make_user("supervisor", "", locale=locale)
    log_in_page(page, live_server, supervisor.email, supervisor.password, "/centre/replies/")
    page.select_option("select[name=language]", "es")
    page.fill("input[name=title]", "Recibido")
    page.fill("textarea[name=body]", "Hemos recibido su solicitud {reference}.")
    page.locator("form.stacked").get_by_role("button", name=save).click()
    assert "Hemos recibido su solicitud {reference}." in page.locator("table.replies").inner_text()
    page.screenshot(path=str(screenshots / f"replies-{locale}.png"), full_page=True)
