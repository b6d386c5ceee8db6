"""The browser page that plays Twilio, through the test client."""

from __future__ import annotations

import re
from html import unescape

import sqlalchemy as sa

from centre.extensions import db
from tickets import survey
from tickets.models import Ticket


def _fields(page: str) -> dict[str, str]:
    fields = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page):
        fields[name] = unescape(value)
    return fields


def test_a_person_can_walk_the_menu_in_the_browser(client, time_machine):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    page = client.get("/try/?lang=en").get_data(as_text=True)
    token = _fields(page)["csrf_token"]
    page = client.post(
        "/try/",
        data={
            "csrf_token": token,
            "action": "dial",
            "to": "+34900000000",
            "caller": "+34612345678",
        },
    ).get_data(as_text=True)
    assert 'lang="es" dir="ltr" data-voice="Polly.Lucia"' in page
    fields = _fields(page)
    page = client.post("/try/", data={**fields, "digits": "7"}).get_data(as_text=True)
    assert '<li lang="en" dir="ltr"' in page
    fields = _fields(page)
    page = client.post("/try/", data={**fields, "digits": "3"}).get_data(as_text=True)
    page = client.post("/try/", data={**_fields(page), "digits": "1"}).get_data(as_text=True)
    assert "Leave a message" in page
    page = client.post("/try/", data={**_fields(page), "action": "record"}).get_data(as_text=True)
    assert re.search(r"(\d, ){8}\d", page), "the reference is read back"


def test_the_simulator_refuses_a_form_without_its_csrf_token(client):
    response = client.post("/try/", data={"action": "dial"})
    assert response.status_code == 400


def test_the_simulator_refuses_to_post_outside_the_phone_menu(client):
    page = client.get("/try/").get_data(as_text=True)
    token = _fields(page)["csrf_token"]
    forged = '{"url": "http://localhost/try/", "xml": "<Response/>"}'
    response = client.post(
        "/try/",
        data={
            "csrf_token": token,
            "action": "press",
            "digits": "1",
            "turn": forged,
            "caller": "+33612345678",
            "to": "+33805000000",
        },
    )
    assert response.status_code == 403  # not a turn the page itself was given


def test_the_simulator_is_off_in_production(make_app):
    app = make_app(SIMULATOR_ENABLED=False)
    assert app.test_client().get("/try/").status_code == 404


def test_the_front_door_leads_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_the_simulator_waits_in_the_queue_and_is_answered(client, time_machine):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    page = client.get("/try/?lang=en").get_data(as_text=True)
    page = client.post("/try/", data={**_fields(page), "action": "dial"}).get_data(as_text=True)
    for digits in ("7", "0"):
        page = client.post("/try/", data={**_fields(page), "digits": digits}).get_data(as_text=True)
    assert "Please hold" in page  # and Twilio asks the wait URL at once:
    assert "You are number 1 in the queue." in page
    queued = _fields(page)
    page = client.post("/try/", data={**queued, "action": "bridged"}).get_data(as_text=True)
    assert "Goodbye." in page
    assert client.post("/try/", data={**queued, "action": "whistle"}).status_code == 400


def test_the_phone_sounds_are_real_wav_files_of_the_length_said():
    import io
    import wave

    from ivr import sounds

    for audio, seconds in ((sounds.hold_music(), 4), (sounds.message(), sounds.MESSAGE_SECONDS)):
        with wave.open(io.BytesIO(audio)) as wav:
            assert wav.getnchannels() == 1 and wav.getframerate() == 8000
            assert wav.getnframes() == 8000 * seconds


def test_a_prompt_that_takes_only_keys_refuses_words_in_the_page_language(client, time_machine):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    page = client.get("/try/?lang=fr").get_data(as_text=True)
    page = client.post("/try/", data={**_fields(page), "action": "dial"}).get_data(as_text=True)
    page = client.post("/try/", data={**_fields(page), "digits": "7"}).get_data(as_text=True)
    page = client.post("/try/", data={**_fields(page), "digits": "2"}).get_data(as_text=True)
    assert 'name="speech"' not in page  # the reference prompt listens for keys only
    page = client.post(
        "/try/", data={**_fields(page), "action": "speak", "speech": "1000000016"}
    ).get_data(as_text=True)
    assert "Le téléphone ne peut pas faire cela à ce moment de l&#39;appel." in page
    assert "does not listen" not in page
    page = client.post("/try/", data={**_fields(page), "digits": "1000000016#"}).get_data(
        as_text=True
    )
    assert "1, 0, 0, 0, 0, 0, 0, 0, 1, 6" in page  # one entry, read back digit by digit


def test_a_person_answers_the_survey_by_text_from_the_page(app, client, time_machine):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    page = client.get("/try/?lang=en").get_data(as_text=True)
    page = client.post(
        "/try/",
        data={
            "csrf_token": _fields(page)["csrf_token"],
            "action": "dial",
            "to": "+33805000000",
            "caller": "+33612345678",
        },
    ).get_data(as_text=True)
    for keys in ("2", "3", "1"):  # French, feedback, a complaint
        page = client.post("/try/", data={**_fields(page), "digits": keys}).get_data(as_text=True)
    page = client.post("/try/", data={**_fields(page), "action": "record"}).get_data(as_text=True)
    client.post("/try/", data={**_fields(page), "action": "hangup"})
    with app.app_context():  # later, on the desk, the complaint is resolved
        ticket = db.session.scalars(sa.select(Ticket)).one()
        ticket.status = "resolved"
        assert survey.send_survey(ticket, "+33612345678")
        db.session.commit()
    time_machine.move_to("2026-12-01T11:00:00+00:00", tick=False)
    token = _fields(client.get("/try/?lang=en").get_data(as_text=True))["csrf_token"]
    page = client.post(
        "/try/", data={"csrf_token": token, "action": "text", "caller": "+33612345678", "body": "4"}
    ).get_data(as_text=True)
    assert "You texted: 4" in page
    assert "êtes-vous satisfait" in unescape(page)  # the survey, sent after the call
    assert "Merci de votre réponse" in unescape(page)  # and the thanks for the answer
    with app.app_context():
        assert db.session.scalars(sa.select(Ticket.satisfaction)).one() == 4
