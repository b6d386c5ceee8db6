"""Notices aimed at a topic: heard by the callers who reach it, in their language, and no one else."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa
from helpers import assert_spoken_in, walk_to_main_menu

from centre import clock, notices
from centre.extensions import db
from centre.languages import CODES
from centre.messaging import OutboundMessage
from operations.demo import VISA_NOTICE, VISA_TOPIC, visa_suspension_ends
from tickets.models import Ticket

# What a caller says to the guide to be read its visa answer, in each language.
ASK_FOR_A_VISA = {
    "fr": "visa",
    "ar": "تأشيرة",
    "es": "visado",
    "it": "visto",
    "nl": "visum",
    "de": "Visum",
    "en": "visa",
}
NOTICE_PREFIX = {code: text.split(".")[0] for code, text in VISA_NOTICE.items()}


@pytest.fixture
def visa_notice(app, guide, open_hours):  # type: ignore[no-untyped-def]
    """The seed's suspension of visa services, aimed at callers asking about visas."""
    moment = clock.now()
    with app.app_context():
        notice = notices.add_notice(
            moment - timedelta(days=1), visa_suspension_ends(moment), VISA_NOTICE, topic=VISA_TOPIC
        )
        db.session.commit()
        return notice.id


def ask_for_a_visa(phone, code: str):  # type: ignore[no-untyped-def]
    """Walk to the guide in `code` and say the word for a visa."""
    walk_to_main_menu(phone, code)
    phone.press("1")
    return phone.speak(ASK_FOR_A_VISA[code])


@pytest.mark.parametrize("code", CODES)
def test_callers_asking_about_visas_hear_the_suspension_in_their_language(
    app, call, visa_notice, code
):
    phone = call()
    turn = ask_for_a_visa(phone, code)
    assert VISA_NOTICE[code] in turn.text
    assert_spoken_in(turn, code)
    assert turn.gather is not None and turn.gather["input"] == "dtmf"
    for other in CODES:
        if other != code:
            assert NOTICE_PREFIX[other] not in turn.text
    answer = phone.silence()  # the notice over, the visa answer is read
    assert VISA_NOTICE[code] not in answer.text and answer.gather is not None


def test_no_one_else_hears_the_visa_notice(app, call, visa_notice):
    phone = call()
    main = walk_to_main_menu(phone, "fr")
    assert NOTICE_PREFIX["fr"] not in main.text
    phone.press("1")
    passport = phone.speak("renouveler mon passeport")
    assert NOTICE_PREFIX["fr"] not in passport.text
    queue = call(caller="+33600000002")
    walk_to_main_menu(queue, "fr")
    assert NOTICE_PREFIX["fr"] not in queue.press("0").text


def test_a_key_interrupts_the_notice_and_star_says_it_again(app, call, visa_notice):
    phone = call()
    heard = ask_for_a_visa(phone, "en")
    assert "To hear this notice again, press star." in heard.text
    again = phone.press("*")
    assert VISA_NOTICE["en"] in again.text
    answer = phone.press("5")  # any other key: on to the answer
    assert VISA_NOTICE["en"] not in answer.text
    assert "To receive this answer by text message, press 3." in answer.text
    assert VISA_NOTICE["en"] not in phone.press("1").text  # heard once per call


def test_the_texted_checklist_carries_the_visa_notice(app, call, visa_notice):
    phone = call(caller="+33611223344")
    ask_for_a_visa(phone, "es")
    phone.silence()
    phone.press("3")
    with app.app_context():
        message = db.session.scalars(sa.select(OutboundMessage)).one()
        assert message.body.endswith(VISA_NOTICE["es"])


def test_an_urgent_topic_notice_is_heard_before_the_menu_and_not_again_at_its_topic(
    app, call, guide, open_hours
):
    moment = clock.now()
    with app.app_context():
        notices.add_notice(
            moment - timedelta(hours=1),
            moment + timedelta(days=2),
            {code: f"[{code}] The queue is long today." for code in CODES},
            topic=("queue", ""),
            urgent=True,
        )
        db.session.commit()
    phone = call()
    heard = walk_to_main_menu(phone, "it")
    assert heard.said[0].text == "[it] The queue is long today."
    main = phone.silence()
    assert "[it]" not in main.text and main.gather is not None
    assert "[it]" not in phone.press("0").text  # already heard on this call


def test_a_queue_notice_is_heard_on_the_way_to_an_agent_only(app, call, guide, open_hours):
    moment = clock.now()
    with app.app_context():
        notices.add_notice(
            moment - timedelta(hours=1),
            moment + timedelta(days=2),
            {code: f"[{code}] Agents answer slowly today." for code in CODES},
            topic=("queue", ""),
        )
        db.session.commit()
    phone = call()
    main = walk_to_main_menu(phone, "de")
    assert "[de]" not in main.text
    heard = phone.press("0")
    assert heard.said[0].text == "[de] Agents answer slowly today." and heard.enqueue is None
    queued = phone.silence()
    assert queued.enqueue and queued.enqueue["name"] == "agents-de"


def test_a_notice_for_a_country_still_reaches_only_that_country_at_its_topic(
    app, call, guide, open_hours
):
    moment = clock.now()
    with app.app_context():
        notices.add_notice(
            moment - timedelta(hours=1),
            moment + timedelta(days=2),
            VISA_NOTICE,
            countries=["ES"],
            topic=VISA_TOPIC,
        )
        db.session.commit()
    assert VISA_NOTICE["fr"] not in ask_for_a_visa(call(to="+33805000000"), "fr").text
    assert VISA_NOTICE["fr"] in ask_for_a_visa(call(to="+34900000000"), "fr").text


def test_a_case_status_notice_for_every_application_matches_any_service() -> None:
    notice = notices.Notice(topic="case_status", topic_key="", urgent=False)
    assert notice.heard_at([("case_status", "passport")])
    assert not notice.heard_at([notices.CENTRE])
    aimed = notices.Notice(topic="case_status", topic_key="visa", urgent=False)
    assert aimed.heard_at([("case_status", "visa")]) and not aimed.heard_at([("case_status", "x")])


def notice_form(**fields: str) -> dict[str, str]:
    """Return the notices page's form: a week from the frozen morning, the visa texts."""
    return {
        "starts": "2026-12-01T09:00",
        "ends": "2026-12-08T09:00",
        **{f"text_{code}": text for code, text in VISA_NOTICE.items()},
        **fields,
    }


def test_a_supervisor_aims_a_notice_at_the_visa_answer_then_changes_it(
    app, call, log_in, guide, open_hours
):
    from helpers import post_form

    client = log_in("supervisor", "", locale="en")
    page = client.get("/centre/notices").get_data(as_text=True)
    assert '<optgroup label="An answer of the guide">' in page and 'value="service:visa"' in page
    added = post_form(client, "/centre/notices", notice_form(topic="service:visa"))
    assert added.status_code == 302
    listed = client.get("/centre/notices").get_data(as_text=True)
    assert "An answer of the guide: " in listed
    assert VISA_NOTICE["fr"] in ask_for_a_visa(call(), "fr").text
    with app.app_context():
        ident = db.session.scalar(sa.select(notices.Notice.id))
    editing = client.get(f"/centre/notices/{ident}").get_data(as_text=True)
    assert 'value="service:visa" selected' in editing and "Change the notice" in editing
    changed = post_form(
        client,
        f"/centre/notices/{ident}",
        notice_form(topic="queue:", urgent="1"),
        page=f"/centre/notices/{ident}",
    )
    assert changed.status_code == 302
    with app.app_context():
        notice = db.session.get(notices.Notice, ident)
        assert (notice.topic, notice.topic_key, notice.urgent) == ("queue", "", True)
    assert VISA_NOTICE["de"] == walk_to_main_menu(call(caller="+4915112345604"), "de").said[0].text
    log = client.get("/staff/audit?action=centre.notice_edit").get_data(as_text=True)
    log = re.sub(r"</?bdi[^>]*>", "", log)
    assert "Service notice changed" in log and "topic: An answer of the guide: " in log
    assert "→ On the way to an agent" in log and "urgent: no → yes" in log


def test_a_topic_not_offered_by_the_form_is_refused(app, log_in, guide, open_hours):
    from helpers import post_form

    client = log_in("supervisor", "", locale="en")
    refused = post_form(client, "/centre/notices", notice_form(topic="service:no-such-thing"))
    assert refused.status_code == 422
    assert "Choose where callers hear the notice from the list." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(notices.Notice)) == 0


def test_the_preview_shows_the_notices_heard_later_at_their_topic(app, log_in, visa_notice):
    page = log_in("supervisor", "", locale="fr").get("/centre/preview?country=FR&language=es")
    text = page.get_data(as_text=True)
    topics = text.split('id="at-topics"')[1].split("</dl>")[0]
    assert "Une réponse du guide" in topics and VISA_NOTICE["es"] in topics
    assert VISA_NOTICE["es"] not in text.split('id="heard"')[1].split("</ol>")[0]


def test_an_agent_reads_the_notice_in_the_callers_journey_in_words(app, call, log_in, visa_notice):
    phone = call()
    ask_for_a_visa(phone, "fr")
    phone.silence()
    phone.press("0")  # an agent, please
    agent = log_in("agent", "fr", locale="en")
    with app.app_context():
        ident = db.session.scalar(sa.select(Ticket.id))
    page = agent.get(f"/tickets/{ident}").get_data(as_text=True)
    assert "Service notice" in page and ">notice<" not in page
    # The notice the caller heard is in the story, in the agent's language.
    assert "Heard the notice: “\u2068" + VISA_NOTICE["en"] + "\u2069”" in unescape(page)
