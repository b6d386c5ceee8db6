"""Main-menu option 1 driven as Twilio drives it: say a need or browse, hear parts, SMS, back."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from helpers import assert_spoken_in, walk_to_main_menu

from centre import languages
from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr.models import Call
from knowledge import search, services
from knowledge.models import Category, Service, UnmatchedPhrase

CODES = languages.CODES
# What a caller says in each language, and the entry it must reach.
NEEDS = {
    "ar": ("بغيت نجدد الباسبور", "passport"),
    "fr": ("je dois renouveler mon passeport", "passport"),
    "es": ("tengo que renovar el pasaporte", "passport"),
    "it": ("devo rinnovare il passaporto", "passport"),
    "nl": ("ik moet mijn paspoort verlengen", "passport"),
    "de": ("ich muss meinen Reisepass verlängern", "passport"),
    "en": ("I need to renew my passport", "passport"),
}
NONSENSE = {
    "ar": "الطقس غدا",
    "fr": "quelle est la météo demain",
    "es": "qué tiempo hará mañana",
    "it": "che tempo fa domani",
    "nl": "hoe wordt het weer morgen",
    "de": "wie wird das Wetter morgen",
    # Not "... tomorrow": the emergency travel document's callers fly tomorrow, so that one is
    # offered as a choice (never read out), and this test is about hearing "not found".
    "en": "what will the weather be like this weekend",
}


def open_guide(phone, code: str):  # type: ignore[no-untyped-def]
    """Walk to the main menu in `code` and press 1."""
    walk_to_main_menu(phone, code)
    return phone.press("1")


def parts_of(app, slug: str, code: str) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """Return the title and the spoken parts of a service, as the caller should hear them."""
    with app.test_request_context(), force_locale(code):
        entry = services.published(slug, code)
        return entry.text.title, services.spoken_parts(entry)


def said_in(app, code: str, message: str) -> str:  # type: ignore[no-untyped-def]
    """Return an interface message in `code`."""
    with app.test_request_context(), force_locale(code):
        return gettext(message)


def context(app) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """Return the context of the (only) call."""
    with app.app_context():
        return db.session.scalar(sa.select(Call)).context


@pytest.mark.parametrize("code", CODES)
def test_the_main_menu_offers_the_guide_on_1_with_hints_from_its_keywords(
    app, call, guide, open_hours, code
):
    main = walk_to_main_menu(call(), code)
    assert said_in(app, code, "For the consular guide, press %(key)s.") % {"key": "1"} in main.text
    turn = open_guide(call(), code)
    assert_spoken_in(turn, code)
    assert said_in(app, code, "Consular guide.") in turn.text
    assert turn.gather["input"] == "dtmf speech"
    assert turn.gather["language"] == languages.get(code).speech_language
    title, _ = parts_of(app, "passport", code)
    assert title in turn.gather["hints"].split(", ")
    assert len(turn.gather["hints"]) <= 1000


@pytest.mark.parametrize("code", CODES)
def test_saying_a_need_reads_the_answer_part_by_part(app, call, guide, open_hours, code):
    phrase, slug = NEEDS[code]
    title, parts = parts_of(app, slug, code)
    phone = call()
    open_guide(phone, code)
    turn = phone.speak(phrase)
    assert_spoken_in(turn, code)
    assert title in turn.text and parts[0] in turn.text
    assert turn.gather["input"] == "dtmf"
    turn = phone.press("2")
    assert parts[1] in turn.text and parts[0] not in turn.text
    turn = phone.press("1")  # repeat
    assert parts[1] in turn.text
    for part in parts[2:]:
        turn = phone.press("2")
        assert part in turn.text
    turn = phone.press("2")
    assert said_in(app, code, "That was the last part.") in turn.text
    assert context(app)["guide_slug"] == slug


@pytest.mark.parametrize("code", CODES)
def test_pressing_3_texts_the_checklist_and_source_in_the_callers_language(
    app, call, guide, open_hours, code
):
    phrase, slug = NEEDS[code]
    phone = call(caller="+33611223344")
    open_guide(phone, code)
    phone.speak(phrase)
    turn = phone.press("3")
    assert said_in(app, code, "We have sent you this answer by text message.") in turn.text
    phone.press("3")  # once per service and call
    with app.app_context(), app.test_request_context(), force_locale(code):
        messages = db.session.scalars(sa.select(OutboundMessage)).all()
        assert len(messages) == 1
        message = messages[0]
        entry = services.published(slug, code)
        assert (message.to_number, message.language, message.purpose) == (
            "+33611223344",
            code,
            "guide",
        )
        assert entry.text.title in message.body
        assert entry.service.source_url in message.body
        for document in entry.text.documents:
            assert document["text"] in message.body
        assert gettext("Documents to bring:") in message.body


def test_a_hidden_number_hears_that_no_text_can_be_sent(app, call, guide, open_hours):
    phone = call(caller="anonymous")
    open_guide(phone, "en")
    phone.speak("I need to renew my passport")
    turn = phone.press("3")
    assert "hidden" in turn.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0


@pytest.mark.parametrize("code", CODES)
def test_browsing_a_topic_on_the_keypad_reaches_a_service(app, call, guide, open_hours, code):
    with app.app_context():
        topics = services.categories(code)
        listed = services.services_in(topics[0][0], code)
    phone = call()
    turn = open_guide(phone, code)
    assert topics[0][1] in turn.text and topics[-1][1] in turn.text
    turn = phone.press("1")
    assert_spoken_in(turn, code)
    for _, title in listed:
        assert title in turn.text
    third_slug, third_title = listed[2]
    turn = phone.press("3")
    assert third_title in turn.text
    assert context(app)["guide_slug"] == third_slug
    turn = phone.press("*")  # back to the topic's list
    assert listed[0][1] in turn.text and turn.gather["input"] == "dtmf speech"
    turn = phone.press("9")  # back to the guide
    assert topics[0][1] in turn.text


@pytest.mark.parametrize("code", ["fr", "en"])
def test_a_close_call_offers_the_top_three_on_the_keypad(app, call, guide, open_hours, code):
    # A vague question: the passport, its collection and the emergency document come close.
    phrase = {"fr": "une question sur le passeport", "en": "a question about my passport"}[code]
    phone = call()
    open_guide(phone, code)
    turn = phone.speak(phrase)
    assert said_in(app, code, "I found several possible answers.") in turn.text
    choices = context(app)["guide_choices"]
    assert "passport" in choices and 2 <= len(choices) <= 3
    with app.app_context():
        titles = [services.published(slug, code).text.title for slug in choices]
    for title in titles:
        assert title in turn.text
    position = choices.index("passport") + 1
    turn = phone.press(str(position))
    assert titles[position - 1] in turn.text
    assert context(app)["guide_slug"] == "passport"
    turn = phone.press("*")  # back to the three choices
    assert all(title in turn.text for title in titles)


@pytest.mark.parametrize("code", CODES)
def test_no_match_is_said_logged_and_offers_to_try_again(app, call, guide, open_hours, code):
    phone = call()
    open_guide(phone, code)
    turn = phone.speak(NONSENSE[code])
    assert_spoken_in(turn, code)
    assert said_in(app, code, "Sorry, I did not find that in the guide.") in turn.text
    with app.app_context():
        row = db.session.scalar(sa.select(UnmatchedPhrase))
        assert (row.language, row.count) == (code, 1)
        assert row.phrase == NONSENSE[code]
    turn = phone.press("1")  # try again
    turn = phone.speak(NEEDS[code][0])
    assert context(app)["guide_slug"] == "passport"


def test_star_from_a_spoken_answer_returns_to_the_guide_and_0_reaches_an_agent(
    app, call, guide, open_hours
):
    phone = call()
    open_guide(phone, "de")
    phone.speak("Führerschein umtauschen")
    turn = phone.press("*")
    assert said_in(app, "de", "Consular guide.") in turn.text
    phone.speak("Führerschein umtauschen")
    turn = phone.press("0")
    assert turn.enqueue is not None and turn.enqueue["name"] == "agents-de"


def test_asking_for_an_agent_in_the_guide_is_not_logged_as_a_miss(app, call, guide, open_hours):
    phone = call()
    open_guide(phone, "en")
    turn = phone.speak("an agent please")
    assert turn.enqueue is not None
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UnmatchedPhrase)) == 0


def test_wrong_keys_in_an_answer_are_explained_then_lead_to_an_agent(app, call, guide, open_hours):
    phone = call()
    open_guide(phone, "en")
    phone.speak("I need to renew my passport")
    assert "not one of the choices" in phone.press("7").text
    assert "did not hear" in phone.silence().text
    turn = phone.press("8")
    assert turn.enqueue is not None


@contextmanager
def service_reads(app):  # type: ignore[no-untyped-def]
    """Collect the SELECTs of guide service texts run while the block runs."""
    reads: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if (
            statement.lstrip().upper().startswith("SELECT")
            and "guide_service_translations" in statement
        ):
            reads.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield reads
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_an_answer_is_read_from_the_database_once_per_worker_while_the_guide_is_unchanged(
    app, call, guide, open_hours
):
    phone = call()
    open_guide(phone, "en")
    with service_reads(app) as reads:
        phone.speak("I need to renew my passport")
        assert len(reads) == 1, reads  # read once, for the answer read aloud
        for key in ("2", "1", "7"):  # next part, repeat, a wrong key
            reads.clear()
            assert phone.press(key).gather is not None
            assert reads == [], (key, reads)
        other = call()
        open_guide(other, "en")
        reads.clear()
        assert "passport" in other.speak("I need to renew my passport").text.lower()
        assert reads == [], reads  # another caller hears what this worker already read


def test_choosing_a_topic_reads_its_services_from_the_database_once(app, call, guide, open_hours):
    phone = call()
    open_guide(phone, "en")
    with service_reads(app) as reads:
        assert phone.press("1").gather is not None  # the topic: entered, then its options
        assert len(reads) == 1, reads


# A newborn is a birth to declare, however the caller puts it.
BORN = {
    "ar": "ولدي تزاد السيمانة اللي فاتت",
    "fr": "mon fils est né la semaine dernière",
    "es": "mi hijo nació la semana pasada",
    "it": "mio figlio è nato la settimana scorsa",
    "nl": "mijn zoon is vorige week geboren",
    "de": "mein Sohn ist letzte Woche geboren",
    "en": "my son was born last week",
}
# Everyday questions the guide does not answer: sending money, a ferry, a parcel.
OUTSIDE = [
    ("fr", "je cherche un billet de bateau pour Tanger"),
    ("fr", "je voudrais suivre mon colis amazon"),
    ("en", "how do I send money to my family"),
    ("ar", "كيفاش نصيفط الفلوس للعائلة"),
]


@pytest.mark.parametrize("code", CODES)
def test_a_caller_whose_child_was_just_born_hears_the_birth_declaration(
    app, call, guide, open_hours, code
):
    title, parts = parts_of(app, "birth-registration", code)
    phone = call()
    open_guide(phone, code)
    turn = phone.speak(BORN[code])
    if "guide_choices" in context(app):  # not sure enough to read it out: offered first
        assert context(app)["guide_choices"][0] == "birth-registration"
        turn = phone.press("1")
    assert title in turn.text and parts[0] in turn.text
    assert context(app)["guide_slug"] == "birth-registration"


@pytest.mark.parametrize(("code", "question"), OUTSIDE)
def test_a_question_outside_the_guide_is_said_to_be_and_an_agent_offered(
    app, call, guide, open_hours, code, question
):
    phone = call()
    open_guide(phone, code)
    turn = phone.speak(question)
    assert "guide_slug" not in context(app)  # no service read out as if it were the answer
    if "guide_choices" not in context(app):
        assert said_in(app, code, "Sorry, I did not find that in the guide.") in turn.text
    else:  # a choice the caller may decline (sending money comes near the family booklet, or
        # in Arabic near the help of a national stranded without money): never one answer
        assert 1 <= len(context(app)["guide_choices"]) <= 3
    assert said_in(app, code, "To speak to an agent, press %(key)s.") % {"key": "0"} in turn.text
    turn = phone.press("0")
    assert context(app).get("guide_phrase") is None  # counted for the editors


def test_sending_money_home_is_never_answered_with_the_family_booklet(app, call, guide, open_hours):
    phone = call()
    open_guide(phone, "fr")
    turn = phone.speak("comment envoyer de l'argent à ma famille")
    assert "guide_slug" not in context(app)  # at most a choice, never an answer read out
    offer = said_in(app, "fr", "To speak to an agent, press %(key)s.") % {"key": "0"}
    assert offer in turn.text or turn.enqueue  # "argent" heard as "agent" puts them through


@pytest.mark.parametrize("code", ["fr", "ar"])
def test_an_answer_says_once_what_to_ask_the_consulate_and_offers_an_agent(
    app, call, guide, open_hours, code
):
    _, parts = parts_of(app, "birth-registration", code)
    ask = {"fr": "Demandez à votre consulat", "ar": "اسألوا قنصليتكم"}[code]
    phone = call()
    open_guide(phone, code)
    turn = phone.speak(BORN[code])
    if "guide_choices" in context(app):  # not sure enough to read it out: offered first
        assert context(app)["guide_choices"][0] == "birth-registration"
        turn = phone.press("1")
    heard = [turn.text]
    heard += [phone.press("2").text for _ in parts[1:]]
    assert sum(text.count(ask) for text in heard) == 1
    agent = said_in(app, code, "To speak to an agent, press 0.")
    assert all(agent in text for text in heard)


def test_a_topic_larger_than_the_keypad_is_read_in_pages_so_every_service_is_reachable(
    app, call, guide, open_hours
):
    with app.app_context():  # editors moved two more services into the first topic: ten
        first = db.session.scalar(sa.select(Category).where(Category.slug == "identity-and-travel"))
        for slug in ("visa", "entry-and-stay"):
            db.session.scalar(sa.select(Service).where(Service.slug == slug)).category = first
        db.session.commit()
        listed = services.services_in("identity-and-travel", "en")
    assert len(listed) == 10
    phone = call()
    open_guide(phone, "en")
    turn = phone.press("1")
    assert all(title in turn.text for _, title in listed[:7])
    assert listed[7][1] not in turn.text and "For more services, press 8." in turn.text
    turn = phone.press("8")
    assert all(title in turn.text for _, title in listed[7:])
    turn = phone.press("3")  # the tenth service, third on this page
    assert context(app)["guide_slug"] == listed[9][0]
    turn = phone.press("*")  # back to the same page
    assert listed[9][1] in turn.text
    turn = phone.press("8")  # round to the first page again
    assert listed[0][1] in turn.text


@pytest.mark.parametrize("code", ["fr", "ar"])
def test_a_close_call_with_one_service_does_not_claim_several(
    app, call, guide, open_hours, code, monkeypatch
):
    # A search sure enough to offer one service but not to read it: the caller is offered that
    # one, and is not told of "several possible answers".
    with app.app_context():
        title = services.published("birth-registration", code).text.title
    unsure = search.Outcome("close", (search.Match("birth-registration", title, 60.0),))
    monkeypatch.setattr(search, "verdict", lambda matches, language="": unsure)
    phone = call()
    open_guide(phone, code)
    turn = phone.speak(NEEDS[code][0])
    assert said_in(app, code, "This may be what you are looking for.") in turn.text
    assert said_in(app, code, "I found several possible answers.") not in turn.text
    assert title in turn.text and context(app)["guide_choices"] == ["birth-registration"]
    turn = phone.press("1")
    assert context(app)["guide_slug"] == "birth-registration"


def test_the_answers_kept_per_worker_are_bounded(app, guide, monkeypatch):
    monkeypatch.setattr(services, "SPOKEN_MAX", 2)
    with app.test_request_context():
        slugs = services.service_slugs()[:5]
        for slug in slugs:
            assert services.spoken(slug, "en") is not None
            kept = app.extensions["revisions.cached"]["guide.spoken"][1]
            assert 0 < len(kept) <= 2
        assert services.spoken(slugs[-1], "en") == services.spoken(slugs[-1], "en")
