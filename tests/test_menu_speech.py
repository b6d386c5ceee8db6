"""Speech at a menu: a menu word counts only when said clearly; anything else asks the guide."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from helpers import assert_spoken_in, walk_to_main_menu

from centre.extensions import db
from ivr.models import Call
from knowledge import services

# A request for a power of attorney said at the main menu, in each language of the issue.
POWER_OF_ATTORNEY = {
    "nl": "ik wil een volmacht",
    "fr": "je voudrais faire une procuration",
    "de": "ich brauche eine Vollmacht",
    "en": "I need a power of attorney",
    "es": "necesito un poder notarial",
}


def _call_row(app) -> Call:  # type: ignore[no-untyped-def]
    with app.app_context():
        row = db.session.scalar(sa.select(Call))
        db.session.expunge(row)
        return row


@pytest.mark.parametrize(("code", "phrase"), POWER_OF_ATTORNEY.items())
def test_a_power_of_attorney_asked_at_the_main_menu_is_answered_from_the_guide(
    app, call, guide, open_hours, code, phrase
):
    phone = call()
    walk_to_main_menu(phone, code)
    turn = phone.speak(phrase)
    assert_spoken_in(turn, code)
    row = _call_row(app)
    assert row.node == "guide_answer", turn.text
    assert row.context["guide_slug"] == "power-of-attorney"
    with app.app_context():
        title = services.published("power-of-attorney", code).text.title
    assert title in turn.text


def test_a_word_ending_like_a_menu_word_does_not_choose_it(app, call, guide, open_hours):
    # "klacht" (complaint) sits inside "volmacht" (power of attorney): no complaint is opened.
    phone = call()
    walk_to_main_menu(phone, "nl")
    phone.speak("volmacht")
    assert _call_row(app).node != "feedback"


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        ("en", "I want to make a complaint"),
        ("nl", "ik heb een klacht"),
        ("de", "ich möchte mich beschweren"),
        ("ar", "عندي شكاية"),
    ],
)
def test_a_menu_word_said_whole_still_chooses_it(app, call, guide, open_hours, code, phrase):
    phone = call()
    walk_to_main_menu(phone, code)
    phone.speak(phrase)
    assert _call_row(app).node == "feedback"


def test_speech_that_is_neither_a_menu_word_nor_in_the_guide_is_said_not_found(
    app, call, guide, open_hours
):
    phone = call()
    walk_to_main_menu(phone, "fr")
    turn = phone.speak("quelle est la météo demain")
    assert _call_row(app).node == "guide_not_found"
    assert "Désolé" in turn.text and turn.gather is not None


def test_naming_the_guide_at_the_main_menu_opens_the_guide(app, call, guide, open_hours):
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.speak("the consular guide please")
    assert _call_row(app).node == "guide"


def test_a_passport_renewal_said_inside_a_topic_searches_the_guide(app, call, guide, open_hours):
    phone = call()
    walk_to_main_menu(phone, "ar")
    phone.press("1")  # the guide
    with app.app_context():
        first_topic = services.categories("ar")[0][0]
        in_topic = [slug for slug, _ in services.services_in(first_topic, "ar")]
    assert "passport" in in_topic and "passport-collection" in in_topic
    phone.press("1")  # its first topic
    assert _call_row(app).node == "guide_category"
    turn = phone.speak("أريد تجديد جواز السفر")
    row = _call_row(app)
    assert row.node == "guide_answer", turn.text
    assert row.context["guide_slug"] == "passport"


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        ("fr", "je voudrais envoyer de l'argent à ma famille"),  # argent: money, not "agent"
        ("en", "how do I send money to my agents"),  # a word added is another word
    ],
)
def test_a_word_one_sound_longer_than_a_short_menu_word_does_not_choose_it(
    app, call, guide, open_hours, code, phrase
):
    phone = call()
    walk_to_main_menu(phone, code)
    phone.speak(phrase)
    assert _call_row(app).node.startswith("guide_")  # the guide was asked, not a person


@pytest.mark.parametrize(
    ("code", "phrase", "node"),
    [
        ("fr", "un agent s'il vous plaît", "agent"),
        ("ar", "عندي شكايه", "feedback"),  # a misheard ending, the word's own length
    ],
)
def test_a_short_menu_word_misheard_by_one_sound_still_chooses_it(
    app, call, guide, open_hours, code, phrase, node
):
    phone = call()
    walk_to_main_menu(phone, code)
    phone.speak(phrase)
    assert _call_row(app).node == node
