"""What staff change is heard on the next webhook of every worker, whatever that worker cached.

Each worker (an app instance) keeps the calendar, the notices and the guide's search index it
read; two instances on one database here are two workers. One answers a call first (so it has
read everything), staff change something through the other, and the first worker's next
call must hear the change.
"""

from __future__ import annotations

import sqlalchemy as sa
from helpers import post_form, walk_to_main_menu

from centre.extensions import db
from centre.languages import CODES
from knowledge import services
from knowledge.editing import Author, publish_text, save_text
from knowledge.models import Category, Service

NOTICE = "The consulate moves to 12 Harbour Street on Monday."


def add_notice(supervisor) -> None:  # type: ignore[no-untyped-def]
    """Add NOTICE in every language through the supervisors' notices page."""
    form = {
        "starts": "2026-12-01T09:00",
        "ends": "2026-12-08T09:00",
        "countries": "",
        "numbers": "",
        "topic": "",
        "urgent": "",
    }
    added = post_form(
        supervisor, "/centre/notices", form | {f"text_{code}": NOTICE for code in CODES}
    )
    assert added.status_code == 302


def test_a_notice_added_by_a_supervisor_is_heard_on_another_worker(
    app, make_app, call, log_in, open_hours
) -> None:
    other = make_app()
    before = walk_to_main_menu(call(on=other), "en")
    assert NOTICE not in before.text
    supervisor = log_in("supervisor", "", locale="en")
    add_notice(supervisor)
    after = walk_to_main_menu(call(on=other), "en")
    assert NOTICE in after.text
    # And gone from every worker once removed.
    with app.app_context():
        notice_id = db.session.scalar(sa.text("SELECT id FROM notices"))
    removal = f"/centre/notices/{notice_id}/remove"
    assert post_form(supervisor, removal, {}, page=removal).status_code == 302
    assert NOTICE not in walk_to_main_menu(call(on=other), "en").text


def test_a_holiday_added_by_a_supervisor_closes_the_centre_on_another_worker(
    app, make_app, call, log_in, open_hours
) -> None:
    other = make_app()
    open_today = walk_to_main_menu(call(on=other), "en")
    assert "Our agents are available again" not in open_today.text
    supervisor = log_in("supervisor", "", locale="en")
    added = post_form(
        supervisor,
        "/centre/holidays",
        {"day": "2026-12-01", "name": "Decreed"},
        page="/centre/holidays",
    )
    assert added.status_code == 302
    closed_today = walk_to_main_menu(call(on=other), "en")
    assert "Our agents are available again on Wednesday" in closed_today.text


def test_a_keyword_published_in_the_guide_is_understood_on_another_worker(
    app, make_app, call, guide, open_hours
) -> None:
    other = make_app()
    phone = call(on=other)
    walk_to_main_menu(phone, "en")
    phone.press("1")
    missed = phone.speak("lighthouse keeper")
    assert "passport" not in missed.text.lower()
    publish_english(
        app, "passport", lambda text: {"keywords": [*(text.keywords or []), "lighthouse keeper"]}
    )
    phone = call(on=other)
    walk_to_main_menu(phone, "en")
    phone.press("1")
    found = phone.speak("lighthouse keeper")
    assert "passport" in found.text.lower()


def test_a_service_renamed_and_published_is_heard_in_its_topic_menu_on_another_worker(
    app, make_app, call, guide, open_hours
) -> None:
    other = make_app()
    with app.test_request_context():
        category, _ = services.categories("en")[0]
        slug, title = services.services_in(category, "en")[0]
    phone = call(on=other)
    walk_to_main_menu(phone, "en")
    phone.press("1")
    before = phone.press("1")  # the first topic: its services, as that worker keeps them
    assert f"For {title}, press 1." in before.text
    renamed = "Lighthouse keepers' documents"
    publish_english(app, slug, lambda text: {"title": renamed})
    phone = call(on=other)
    walk_to_main_menu(phone, "en")
    phone.press("1")
    after = phone.press("1")
    assert f"For {renamed}, press 1." in after.text
    assert f"For {title}, press 1." not in after.text
    assert renamed.lower() in after.gather["hints"].lower()


def test_a_topic_renamed_is_heard_in_the_guide_menu_on_another_worker(
    app, make_app, call, guide, open_hours
) -> None:
    other = make_app()
    with app.test_request_context():
        slug, name = services.categories("en")[0]
    phone = call(on=other)
    walk_to_main_menu(phone, "en")
    before = phone.press("1")  # the guide's topics, as that worker keeps them
    assert f"For {name}, press 1." in before.text
    renamed = "Lighthouse keepers"
    with app.test_request_context():
        category = db.session.scalar(sa.select(Category).where(Category.slug == slug))
        assert category is not None
        english = next(n for n in category.names if n.language == "en")
        english.name = renamed
        db.session.commit()
    again = phone.press("*")  # the same call, its next step
    assert f"For {renamed}, press 1." in again.text
    assert f"For {name}, press 1." not in again.text


def test_a_notice_added_by_a_supervisor_is_heard_on_the_next_main_menu_step_of_another_worker(
    app, make_app, call, log_in, open_hours
) -> None:
    other = make_app()
    phone = call(on=other)
    walk_to_main_menu(phone, "en")
    assert NOTICE not in phone.press("*").text  # the main menu, as that worker keeps it
    add_notice(log_in("supervisor", "", locale="en"))
    assert NOTICE in phone.press("*").text  # the same call's next step, on that worker


def test_a_service_renamed_is_expected_by_the_guide_menu_of_another_worker(
    app, make_app, call, guide, open_hours
) -> None:
    other = make_app()
    renamed = "Lighthouse keepers' passport"
    phone = call(on=other)
    walk_to_main_menu(phone, "en")
    before = phone.press("1")  # the guide's menu, its words for speech as that worker keeps them
    assert renamed not in before.gather["hints"].split(", ")
    publish_english(app, "passport", lambda text: {"title": renamed})
    after = phone.press("*")  # the same call's next step
    assert renamed in after.gather["hints"].split(", ")


def test_an_answer_edited_and_published_is_heard_on_the_next_step_of_another_worker(
    app, make_app, call, guide, open_hours
) -> None:
    other = make_app()
    with app.test_request_context():
        before = services.published("passport", "en")
        assert before is not None
        summary = before.text.summary
    phone = call(on=other)
    walk_to_main_menu(phone, "en")
    phone.press("1")
    heard = phone.speak("I need to renew my passport")  # read aloud, as that worker keeps it
    assert summary in heard.text
    edited = "Bring your old passport and two photos to the lighthouse."
    publish_english(app, "passport", lambda text: {"summary": edited})
    again = phone.press("1")  # the same call's next step: "to hear this again"
    assert edited in again.text
    assert summary not in again.text


def test_a_service_unpublished_leaves_its_topic_menu_on_the_next_step_of_another_worker(
    app, make_app, call, guide, open_hours
) -> None:
    other = make_app()
    with app.test_request_context():
        category, _ = services.categories("en")[0]
        offered = services.services_in(category, "en")
        assert len(offered) > 1  # the topic stays, with one service fewer
        slug, title = offered[0]
    phone = call(on=other)
    walk_to_main_menu(phone, "en")
    phone.press("1")
    before = phone.press("1")  # the first topic: its services, as that worker keeps them
    assert f"For {title}, press 1." in before.text
    with app.test_request_context():
        service = db.session.scalar(sa.select(Service).where(Service.slug == slug))
        assert service is not None
        service.published = False
        db.session.commit()
    after = phone.press("*")  # the same call's next step: the topic's choices again
    assert f"For {title}, press" not in after.text
    assert title not in after.gather["hints"].split(", ")
    assert f"For {offered[1][1]}, press 1." in after.text


def publish_english(app, slug: str, change) -> None:  # type: ignore[no-untyped-def]
    """Save `change(text)` into the service's English text as an editor, and publish it."""
    with app.test_request_context():
        service = db.session.scalar(sa.select(Service).where(Service.slug == slug))
        assert service is not None
        editor = Author(email="editor@example.org")
        text = next(t for t in service.translations if t.language == "en")
        save_text(service, "en", change(text), editor)
        publish_text(service, "en", editor)
        db.session.commit()
