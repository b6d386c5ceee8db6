"""Whatever text reaches the TwiML helper, what goes out is XML Twilio can parse and play.

Input is refused where it comes in (the push API, the CSV feed, the editors' pages); these tests
put the hostile text straight into the database, as an older row or a manual fix would, to
prove the last line of defence: the one helper that writes TwiML.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from flask import Flask
from helpers import assert_spoken_in, walk_to_main_menu
from hypothesis import example, given
from hypothesis import strategies as st
from twilio.twiml.voice_response import VoiceResponse

from centre import clock, languages, notices
from centre.extensions import db
from ivr.models import Call
from ivr.twiml import Template, say, twiml
from knowledge.models import ServiceTranslation

# Every code point, surrogates and controls included: what a careless import could store.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
HOSTILE = "Closed\x01 on Friday\x00\x0b\x1f\ufffe\uffff\ud800 & <maybe>"
SPOKEN = "Closed on Friday & <maybe>"


def _xml_char(char: str) -> bool:
    point = ord(char)
    return (
        char in "\t\n\r"
        or 0x20 <= point <= 0xD7FF
        or 0xE000 <= point <= 0xFFFD
        or 0x10000 <= point <= 0x10FFFF
    )


def _normalised(text: str) -> str:
    """What an XML parser hands back for text: line ends folded to \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@given(text=ANY_TEXT, attribute=ANY_TEXT)
@example(text=HOSTILE, attribute="\x01\t\r\n\ud800")
def test_any_text_comes_out_as_parseable_twiml_with_only_its_invalid_characters_left_out(
    text: str, attribute: str
) -> None:
    app = Flask(__name__)
    english = languages.get("en")
    with app.app_context():
        response = VoiceResponse()
        say(response, text, english)
        with response.gather(action=f"/ivr/step?x={attribute}") as gather:
            say(gather, text, english)
        body = twiml(response).get_data()
    root = ElementTree.fromstring(body)  # noqa: S314 (our own output)
    kept = "".join(c for c in text if _xml_char(c))
    for element in (root.find("Say"), root.find("Gather/Say")):
        assert element is not None
        assert _normalised(element.text or "") == _normalised(kept)
    gather_element = root.find("Gather")
    assert gather_element is not None
    assert gather_element.get("action") == "/ivr/step?x=" + "".join(
        c for c in attribute if _xml_char(c)
    )


def test_an_attribute_made_only_of_invalid_characters_comes_out_empty() -> None:
    # Speech hints come from guide words: one made only of control characters gives no hint,
    # and nothing else takes its place.
    app = Flask(__name__)
    with app.app_context():
        response = VoiceResponse()
        response.gather(action="/ivr/step", hints="\x01\x02\ufffe")
        body = twiml(response).get_data()
    gather = ElementTree.fromstring(body).find("Gather")  # noqa: S314 (our own output)
    assert gather is not None and gather.get("hints") == ""
    assert gather.get("action") == "/ivr/step"


def test_a_notice_with_control_characters_is_still_played_to_every_caller(
    app, call, open_hours
) -> None:
    now = clock.now()  # frozen by open_hours
    with app.app_context():
        notice = notices.add_notice(
            now - timedelta(hours=1), now + timedelta(hours=1), {"en": "placeholder"}
        )
        db.session.flush()
        # PostgreSQL refuses NUL and lone surrogates in text: store what a database can hold.
        stored = HOSTILE.replace("\x00", "").replace("\ud800", "")
        db.session.execute(
            sa.update(notices.NoticeText)
            .where(notices.NoticeText.notice_id == notice.id)
            .values(text=stored)
        )
        db.session.commit()
    turn = walk_to_main_menu(call(), "en")  # the driver parses every answer as XML
    assert turn.said[0].text == SPOKEN
    assert turn.gather is not None  # the menu follows
    assert_spoken_in(turn, "en")


def test_a_guide_text_with_control_characters_is_still_read_to_the_caller(
    app: Flask, call, guide, open_hours
) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(ServiceTranslation)
            .where(ServiceTranslation.language == "en")
            .values(summary=ServiceTranslation.summary + "\x01\x1b\uffff")
        )
        db.session.commit()
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("1")
    turn = phone.speak("I need to renew my passport")
    assert_spoken_in(turn, "en")
    assert turn.gather is not None
    assert not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in turn.xml)


def test_a_kept_prompt_puts_in_any_url_as_the_document_would_carry_it(app: Flask) -> None:
    url = '/ivr/step?s=3&l=fr&x="<a>"\x01'
    menu = VoiceResponse()
    with menu.gather(action="blank-url", method="POST") as gather:
        gather.say(HOSTILE)
    menu.redirect("blank-url", method="POST")
    response = VoiceResponse()
    response.say("Sorry.")
    response.append(Template(menu.verbs, "blank-url").fill(url))
    with app.test_request_context():
        document = twiml(response).get_data(as_text=True)
    root = ElementTree.fromstring(document)  # noqa: S314 (our own output)
    assert [child.tag for child in root] == ["Say", "Gather", "Redirect"]
    assert root.find("Gather").get("action") == '/ivr/step?s=3&l=fr&x="<a>"'
    assert root.find("Redirect").text == '/ivr/step?s=3&l=fr&x="<a>"'
    assert root.find("Gather/Say").text == SPOKEN


def test_a_document_of_kept_verbs_only_is_the_document_twilio_would_be_sent_whole(
    app: Flask,
) -> None:
    # A step whose every verb was kept (a notice, then a menu) is joined, not serialised again:
    # nothing may come between the verbs, which Twilio would read as text in <Response>.
    notice = VoiceResponse()
    notice.say("Closed on Friday.")
    menu = VoiceResponse()
    with menu.gather(action="blank-url", method="POST") as gather:
        gather.say("For the guide, press 1.")
    menu.redirect("blank-url", method="POST")
    response = VoiceResponse()
    response.append(Template(notice.verbs, "blank-url").fill("/unused"))
    response.append(Template(menu.verbs, "blank-url").fill("/ivr/step?s=4&l=en"))
    with app.test_request_context():
        answer = twiml(response)
    assert answer.status_code == 200 and answer.mimetype == "text/xml"
    assert answer.get_data(as_text=True) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        "<Say>Closed on Friday.</Say>"
        '<Gather action="/ivr/step?s=4&amp;l=en" method="POST">'
        "<Say>For the guide, press 1.</Say></Gather>"
        '<Redirect method="POST">/ivr/step?s=4&amp;l=en</Redirect>'
        "</Response>"
    )


def test_a_blank_that_the_document_would_escape_is_refused_when_the_prompt_is_kept() -> None:
    # ElementTree writes a quote in an attribute as &quot;: such a blank would never be found
    # again, and every caller would be sent to it instead of their own step.
    menu = VoiceResponse()
    menu.redirect('blank"url', method="POST")
    with pytest.raises(ValueError, match="a blank that XML escapes: 'blank\"url'"):
        Template(menu.verbs, 'blank"url')


def _step_of(turn) -> int:  # type: ignore[no-untyped-def]
    return int(parse_qs(urlsplit(turn.gather["action"]).query)["s"][0])


def test_two_callers_hearing_the_same_menu_are_each_sent_on_from_their_own_step(
    app, call, open_hours
) -> None:
    ahead, behind = call(caller="+33612345678"), call(caller="+33698765432")
    walk_to_main_menu(ahead, "en")
    ahead.press("*")
    again = ahead.press("*")
    first = walk_to_main_menu(behind, "en")
    assert first.text == again.text  # the same words, kept once by this worker
    assert _step_of(again) == _step_of(first) + 2
    for turn in (again, first):
        assert turn.redirect == turn.gather["action"]
    with app.app_context():
        steps = dict(db.session.execute(sa.select(Call.call_sid, Call.step)).all())
    assert steps == {ahead.call_sid: _step_of(again), behind.call_sid: _step_of(first)}
    assert "Main menu." in behind.press("*").text  # its own step: taken, not a replay
    assert "Main menu." in ahead.press("*").text
    with app.app_context():
        moved = dict(db.session.execute(sa.select(Call.call_sid, Call.step)).all())
    assert moved == {call_sid: step + 1 for call_sid, step in steps.items()}
