"""The read-only guide API: search and read published services; clear JSON errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from centre import languages
from centre.extensions import db
from knowledge import services
from knowledge.models import Service


@pytest.mark.parametrize(
    ("q", "code", "slug"),
    [
        ("je dois renouveler mon passeport", "fr", "passport"),
        ("ik heb een uittreksel nodig", "nl", "civil-status-certificates"),
        ("البطاقة الوطنية", "ar", "national-id-card"),
        ("Führerschein umtauschen", "de", "driving-licence"),
    ],
)
def test_search_returns_slug_title_and_score_best_first(client, guide, q, code, slug):
    response = client.get("/api/guide/search", query_string={"q": q, "lang": code})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert results[0]["slug"] == slug
    assert set(results[0]) == {"slug", "title", "score"}
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True) and len(results) <= 3


def test_search_titles_are_in_the_requested_language(app, client, guide):
    results = client.get("/api/guide/search?q=passeport&lang=fr").get_json()["results"]
    with app.app_context():
        assert results[0]["title"] == services.published("passport", "fr").text.title


@pytest.mark.parametrize("code", languages.CODES)
def test_a_service_is_returned_with_its_structured_fields(client, guide, code):
    response = client.get(f"/api/guide/passport?lang={code}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["slug"] == "passport" and body["language"] == code
    assert {f["kind"]: f["amount_dh"] for f in body["fees"]} == {
        "adult": 860,
        "minor": 60,
        "after-loss": 1080,
    }
    assert body["delay_days"] is None and body["delay_text"]
    assert body["verified"] is True and body["source_url"].startswith("https://")
    assert any(d["when"] == "minor" for d in body["documents"])
    assert body["version"] == 1 and body["review_state"] == "current"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/guide/search?q=passport&lang=pt", 400),
        ("/api/guide/search?q=passport", 400),
        ("/api/guide/search?lang=en", 400),
        ("/api/guide/search?q=%20%20&lang=en", 400),
        ("/api/guide/search?q=" + "x" * 301 + "&lang=en", 400),
        ("/api/guide/passport?lang=xx", 400),
        ("/api/guide/passport", 400),
        ("/api/guide/no-such-service?lang=en", 404),
    ],
)
def test_bad_requests_get_a_json_error(client, guide, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert response.is_json and response.get_json()["error"]


def test_an_unpublished_service_is_not_found(app, client, guide):
    with app.app_context():
        service = db.session.scalar(sa.select(Service).where(Service.slug == "visa"))
        service.published = False
        db.session.commit()
    assert client.get("/api/guide/visa?lang=en").status_code == 404
    results = client.get("/api/guide/search?q=visa&lang=en").get_json()["results"]
    assert all(r["slug"] != "visa" for r in results)


def test_the_api_answers_posts_with_405_not_a_csrf_page(client, guide):
    response = client.post("/api/guide/search?q=visa&lang=en")
    assert response.status_code == 405
    assert response.get_json() == {
        "error": "http_error",
        "message": "The method is not allowed for the requested URL.",
    }


def test_a_service_names_its_source_page_and_the_day_it_was_checked(client, guide):
    body = client.get("/api/guide/change-of-residence?lang=fr").get_json()
    assert body["source_url"].startswith("https://www.consulat.ma/")
    assert body["source_checked_on"] == "2026-12-07"
    assert body["category"] == "return-and-vehicles"
    appointments = client.get("/api/guide/appointments?lang=fr").get_json()
    assert appointments["source_checked_on"] is None  # not checked again since it was seeded
