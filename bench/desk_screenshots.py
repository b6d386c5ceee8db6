"""Take the README's screenshots of the desk (queue and ticket) in Debian's headless Chromium.

    python bench/desk_screenshots.py      # writes docs/desk-queue.png and docs/desk-ticket.png

Runs the app on a temporary SQLite database with generated tickets; touches nothing else.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from centre import calendar  # noqa: E402
from centre.extensions import db  # noqa: E402
from staff import accounts  # noqa: E402
from tickets import callbacks, services  # noqa: E402

PASSWORD = "Screenshot-Kumquat-Harbour-7"
CALLERS = ["+33612345601", "+32470123402", "+34612345603", "+4915112345604", "+31612345605"]


def seed(app) -> int:  # type: ignore[no-untyped-def]
    """Create an agent and a realistic morning of tickets; return one ticket's id to show."""
    with app.app_context():
        upgrade()
        calendar.seed_hours()
        calendar.seed_holidays([2026, 2027])
        accounts.create(
            "agent.fr@example.org",
            PASSWORD,
            "agent",
            "fr ar",
            "en",
            "+212600000101",
            actor_email="screenshots",
        )
        moment = datetime.now(UTC)
        shown = None
        kinds = ["escalated_call", "complaint", "suggestion", "observation", "complaint"]
        for n in range(18):
            kind = kinds[n % len(kinds)]
            language = "fr" if n % 3 else "ar"
            at = moment - timedelta(hours=n * 5 + 1)
            ticket = services.open_ticket(
                kind,
                language,
                CALLERS[n % 5],
                "k",
                country=["FR", "BE", "ES"][n % 3],
                at=at,
                ivr_path=[
                    {"from": "language", "input": "2", "to": "welcome"},
                    {"from": "main", "input": "3", "to": "feedback"},
                    {"from": "feedback", "input": "1", "to": "record"},
                    {"from": "record", "input": "#", "to": "main"},
                ],
            )
            db.session.flush()
            services.attach_recording(ticket.id, f"RE{n}", f"https://api.twilio.com/x/RE{n}", 42)
            if kind == "complaint" and shown is None:
                shown = ticket.id
        for n in range(3):
            callbacks.book(CALLERS[n], "fr", "k", moment - timedelta(minutes=n), country="FR")
        db.session.commit()
        assert shown is not None
        return shown


def main() -> None:
    """Serve the app, log in, and screenshot the queue and a ticket into docs/."""
    folder = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'shots.db'}",
            "APP_ENV": "testing",
            "SECRET_KEY": "screenshots",
        }
    )
    ticket_id = seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    out = ROOT / "docs"
    out.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/tickets/")
        page.fill("input[name=email]", "agent.fr@example.org")
        page.fill("input[name=password]", PASSWORD)
        page.locator("form.stacked button[type=submit]").click()
        page.wait_for_url(f"{base}/tickets/")
        page.screenshot(path=str(out / "desk-queue.png"), full_page=True)
        page.goto(f"{base}/tickets/{ticket_id}")
        page.get_by_role("button", name="Claim").click()
        page.fill("textarea[name=note]", "Called back: the passport is ready at the consulate.")
        page.get_by_role("button", name="Save").click()
        page.screenshot(path=str(out / "desk-ticket.png"), full_page=True)
        browser.close()
    server.shutdown()
    print(f"wrote {out / 'desk-queue.png'} and {out / 'desk-ticket.png'}")


if __name__ == "__main__":
    main()
