"""Take the screenshots in docs/, in French and Arabic: those the README opens with, the
supervisors' wallboard and dashboard, the desk's live queue, and the satisfaction figures.

    python docs/screenshots.py                  # every shot below, one after the other
    python docs/screenshots.py queue satisfaction   # only the shots named

    readme        docs/phone-*.png, desk-*.png, editor-*.png, week-dashboard-*.png
                  (on the demo week of `flask setup --demo`)
    supervisors   docs/wallboard-*.png and docs/dashboard-*.png
    queue         docs/queue-live-*.png: an agent of each language marked available opens
                  the queue page (seven callers waiting); its list comes from its own polling
    satisfaction  docs/satisfaction-*.png and docs/satisfaction-wallboard-*.png (on the demo
                  week, whose resolved tickets were surveyed): the dashboard's satisfaction
                  figures, tables unfolded, the others hidden for the photograph only; then the
                  wallboard, whose headline and agents' table give today's satisfaction

The README's are taken on what a newcomer gets from `make run` (`setup --demo`), the phone
tried by the browser phone at /try/ as a person would click it. The others are taken on a
morning of callers placed by the phone driver with a month of recorded calls and tickets
behind them.

Each shot runs the app on a temporary SQLite database of its own, at a fixed working morning
(so the centre is open whatever day it is run); touches nothing else. Debian's Chromium only.
"""

from __future__ import annotations

import random
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import time_machine  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from centre import calendar  # noqa: E402
from centre.clock import to_storage  # noqa: E402
from centre.extensions import db  # noqa: E402
from ivr.driver import FlaskTransport, PhoneCall  # noqa: E402
from ivr.models import Call  # noqa: E402
from staff import accounts  # noqa: E402
from tickets import callbacks, services  # noqa: E402

PASSWORD = "Screenshot-Kumquat-Harbour-7"  # noqa: S105  (a throwaway database)
MORNING = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)  # a Tuesday, 10:30 in Casablanca
CHROMIUM = "/usr/bin/chromium"
DOCS = ROOT / "docs"
# Who is photographed, as (email, language of their pages): a French and an Arabic reader each.
SUPERVISORS = (("superviseur@example.org", "fr"), ("mushrif@example.org", "ar"))
AGENTS = (("amina@example.org", "fr"), ("youssef@example.org", "ar"))
EDITORS = (("redactrice@example.org", "fr"), ("muharrir@example.org", "ar"))


def history(app) -> None:  # type: ignore[no-untyped-def]
    """Record a month of ended calls and a few tickets, as the webhooks leave them."""
    rng = random.Random(16)
    outcomes = ["self_service"] * 6 + ["escalated"] * 3 + ["abandoned", "failed"]
    codes = ["fr", "fr", "ar", "ar", "es", "it", "nl", "de", "en"]
    with app.app_context():
        for n in range(900):
            started = MORNING - timedelta(days=rng.randint(0, 29), minutes=rng.randint(0, 480))
            outcome = rng.choice(outcomes)
            queued = outcome in ("escalated", "abandoned")
            wait = timedelta(seconds=rng.randint(10, 400))
            db.session.add(
                Call(
                    call_sid=f"CAHIST{n:028d}",
                    caller_hash=None,
                    caller_masked="+33******00",
                    dialled="+33805000000",
                    country=rng.choice(["FR", "BE", "ES", "IT", "NL", "DE"]),
                    language=rng.choice(codes),
                    offered="fr ar es it nl de en",
                    node="goodbye",
                    context={},
                    started_at=to_storage(started),
                    ended_at=to_storage(started + timedelta(minutes=4)),
                    status="completed",
                    duration=240,
                    outcome=outcome,
                    queue_entered_at=to_storage(started + timedelta(seconds=40))
                    if queued
                    else None,
                    queue_left_at=to_storage(started + timedelta(seconds=40) + wait)
                    if queued
                    else None,
                    queue_result=("bridged" if outcome == "escalated" else "hangup")
                    if queued
                    else None,
                )
            )
        for n in range(40):
            at = MORNING - timedelta(days=rng.randint(0, 29), hours=rng.randint(0, 8))
            services.open_ticket(
                rng.choice(["complaint", "suggestion", "observation"]),
                rng.choice(codes),
                f"+3361234{n:04d}",
                "k",
                country="FR",
                at=at,
            )
        db.session.commit()


def floor(app) -> None:  # type: ignore[no-untyped-def]
    """Put callers on the floor with the phone driver: in the menu, the guide, the queue."""
    token = app.config["TWILIO_AUTH_TOKEN"]

    def caller(number: str) -> PhoneCall:
        return PhoneCall(FlaskTransport(app), token, caller=number, to="+33805000000")

    def language(phone: PhoneCall, code: str) -> None:
        from centre import languages

        phone.dial()
        phone.press(languages.get(code).digit)

    for n, code in enumerate(["fr", "fr", "ar", "es", "fr", "ar", "nl"]):
        phone = caller(f"+3361200{n:04d}")
        language(phone, code)
        phone.press("0")  # into the queue
    for n, code in enumerate(["fr", "ar", "de", "it"]):
        language(caller(f"+3361300{n:04d}"), code)  # listening to the main menu
    with app.app_context():
        for n in range(3):
            callbacks.book(f"+336140000{n}", ["fr", "ar", "es"][n], "k", MORNING, country="FR")
        db.session.commit()


def seed(app) -> None:  # type: ignore[no-untyped-def]
    """Create the schema, the calendar, the staff and the morning's traffic."""
    with app.app_context():
        upgrade()
        calendar.seed_hours()
        calendar.seed_holidays([2026, 2027])
        for email, role, codes, locale in (
            ("superviseur@example.org", "supervisor", "", "fr"),
            ("mushrif@example.org", "supervisor", "", "ar"),
            ("amina@example.org", "agent", "fr ar", "fr"),
            ("youssef@example.org", "agent", "ar", "ar"),
            ("lucia@example.org", "agent", "es it", "es"),
            ("pieter@example.org", "agent", "nl de en", "nl"),
        ):
            user = accounts.create(
                email,
                PASSWORD,
                role,
                codes,
                locale=locale,
                phone="+212600000101",
                actor_email="screenshots",
            )
            if email in ("amina@example.org", "lucia@example.org"):
                user.available = True
        db.session.commit()
    history(app)
    floor(app)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Launch Debian's headless Chromium for one shot and close it afterwards."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


def logged_in(
    browser: Browser, base: str, accounts: Iterable[tuple[str, str]], size: tuple[int, int]
) -> Iterator[tuple[Page, str]]:
    """Yield a page of `size` logged in as each (email, language code) of `accounts`, then close it."""
    for email, code in accounts:
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        log_in(page, base, email)
        yield page, code
        page.close()


def shoot_supervisors(base: str) -> None:
    """Log in as each supervisor and photograph the wallboard and the dashboard."""
    with chromium() as browser:
        for page, code in logged_in(browser, base, SUPERVISORS, (1280, 900)):
            page.goto(f"{base}/reports/floor")
            page.screenshot(path=str(DOCS / f"wallboard-{code}.png"), full_page=True)
            page.goto(f"{base}/reports/")
            page.screenshot(path=str(DOCS / f"dashboard-{code}.png"), full_page=True)


def shoot_queue(base: str) -> None:
    """Photograph the queue page of a French-speaking and an Arabic-speaking agent."""
    with chromium() as browser:
        for page, code in logged_in(browser, base, AGENTS, (1280, 800)):
            page.goto(f"{base}/tickets/")
            expect(page.locator("#waiting-callers li").first).to_be_visible()
            page.wait_for_timeout(6000)  # one poll has updated the page in place
            page.screenshot(path=str(DOCS / f"queue-live-{code}.png"))


SATISFACTION_PERIOD = "from=2026-11-24&to=2026-12-01"
# Hide every figure but satisfaction, and unfold the satisfaction tables.
KEEP_SATISFACTION = """() => {
  for (const s of document.querySelectorAll('section.figure')) {
    if (!s.id.startsWith('satisfaction')) s.style.display = 'none';
    else s.querySelector('details')?.setAttribute('open', '');
  }
  for (const p of document.querySelectorAll('p.exports, p.note, nav.figures')) p.style.display = 'none';
}"""


def shoot_satisfaction(base: str) -> None:
    """Photograph the satisfaction part of the dashboard, then the wallboard, per supervisor."""
    with chromium() as browser:
        for page, code in logged_in(browser, base, SUPERVISORS, (1100, 800)):
            page.goto(f"{base}/reports/?{SATISFACTION_PERIOD}")
            page.evaluate(KEEP_SATISFACTION)
            page.screenshot(path=str(DOCS / f"satisfaction-{code}.png"), full_page=True)
            page.goto(f"{base}/reports/floor")
            page.screenshot(path=str(DOCS / f"satisfaction-wallboard-{code}.png"), full_page=True)


def log_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    """Log in on the staff login page."""
    page.goto(f"{base}/staff/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()


def press(page, keys: str) -> None:  # type: ignore[no-untyped-def]
    """Press keys on the browser phone one by one; the entry goes when the prompt's rule says."""
    with page.expect_navigation():
        for key in keys:
            page.locator(f".keys button[value='{key}']").click()


def choose_language(page, code: str) -> None:  # type: ignore[no-untyped-def]
    """Choose the language on the phone and skip the demo notice to reach the main menu."""
    from centre import languages
    from operations.demo import DEMO_NOTICE

    press(page, languages.get(code).digit)
    if DEMO_NOTICE[code][:30] in page.locator(".heard").inner_text():
        press(page, "1")  # any key skips a notice


def shoot_readme(base: str) -> None:
    """Photograph the browser phone, the desk, the dashboard and the editor in French and Arabic."""
    from cases.demo import demo_references

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(f"{base}/try/?lang=fr")
        page.locator("form.dial button[type=submit]").click()
        choose_language(page, "fr")
        press(page, "2")
        press(page, demo_references()[0] + "#")
        press(page, "1")
        press(page, "05031984#")
        press(page, "1")
        press(page, "1")
        page.screenshot(path=str(DOCS / "phone-fr.png"), full_page=True)
        page.goto(f"{base}/try/?lang=ar")
        page.fill("input[name=caller]", "+33612345699")
        page.locator("form.dial button[type=submit]").click()
        choose_language(page, "ar")
        press(page, "0")
        page.screenshot(path=str(DOCS / "phone-ar.png"), full_page=True)
        page.close()
        for page, code in logged_in(browser, base, AGENTS, (1280, 900)):
            page.goto(f"{base}/tickets/")
            page.screenshot(path=str(DOCS / f"desk-{code}.png"))
        for page, code in logged_in(browser, base, EDITORS, (1280, 900)):
            page.goto(f"{base}/guide/editor/")
            page.screenshot(path=str(DOCS / f"editor-{code}.png"))
        for page, code in logged_in(browser, base, SUPERVISORS, (1280, 900)):
            page.goto(f"{base}/reports/")
            page.screenshot(path=str(DOCS / f"week-dashboard-{code}.png"))


def demo_week(app) -> None:  # type: ignore[no-untyped-def]
    """Run `flask setup --demo`, then add the accounts the screenshots log in with."""
    result = app.test_cli_runner().invoke(args=["setup", "--demo"])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    with app.app_context():
        for email, role, codes, locale in (
            ("superviseur@example.org", "supervisor", "", "fr"),
            ("mushrif@example.org", "supervisor", "", "ar"),
            ("amina@example.org", "agent", "fr es", "fr"),
            ("youssef@example.org", "agent", "ar", "ar"),
            ("redactrice@example.org", "editor", "", "fr"),
            ("muharrir@example.org", "editor", "", "ar"),
        ):
            accounts.create(
                email,
                PASSWORD,
                role,
                codes,
                locale=locale,
                phone="+212600000101",
                actor_email="screenshots",
            )
        db.session.commit()


def serve(app, shoot_with) -> None:  # type: ignore[no-untyped-def]
    """Serve the app on a loopback port while `shoot_with(base_url)` runs."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        shoot_with(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()


def morning_with_youssef_available(app) -> None:  # type: ignore[no-untyped-def]
    """Seed the morning's floor, with the Arabic-speaking agent available too."""
    seed(app)
    with app.app_context():
        youssef = accounts.by_email("youssef@example.org")
        assert youssef is not None
        youssef.available = True
        db.session.commit()


@dataclass(frozen=True)
class Shot:
    """One set of screenshots: how its database is filled, how it is shot, what it writes."""

    fill: Callable[[Any], None]
    shoot: Callable[[str], None]
    kinds: tuple[str, ...]


SHOTS = {
    "readme": Shot(demo_week, shoot_readme, ("phone", "desk", "editor", "week-dashboard")),
    "supervisors": Shot(seed, shoot_supervisors, ("wallboard", "dashboard")),
    "queue": Shot(morning_with_youssef_available, shoot_queue, ("queue-live",)),
    "satisfaction": Shot(demo_week, shoot_satisfaction, ("satisfaction", "satisfaction-wallboard")),
}


def take(shot: Shot) -> None:
    """Fill a temporary database for `shot`, serve the app on it, and take its screenshots."""
    with tempfile.TemporaryDirectory() as folder, time_machine.travel(MORNING, tick=True):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/shots.db",
                "SECRET_KEY": "screenshots",
                "PHONE_HASH_KEY": "screenshots",
                "SESSION_COOKIE_SECURE": False,
            }
        )
        shot.fill(app)
        serve(app, shot.shoot)
    print("wrote", ", ".join(f"docs/{k}-{c}.png" for k in shot.kinds for c in ("fr", "ar")))


def main(names: list[str]) -> None:
    """Take the shots named (every one when none is), each on a database of its own."""
    unknown = [name for name in names if name not in SHOTS]
    if unknown:
        raise SystemExit(f"unknown shot {', '.join(unknown)}: choose among {', '.join(SHOTS)}")
    for name in names or list(SHOTS):
        take(SHOTS[name])


if __name__ == "__main__":
    main(sys.argv[1:])
