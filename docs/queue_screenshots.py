"""Take the screenshots of the desk's live queue page, in French and Arabic.

    python docs/queue_screenshots.py    # writes docs/queue-live-fr.png and docs/queue-live-ar.png

On the morning of `docs/screenshots.py` (its staff and callers: seven in the queue), an agent
of each language marked available opens the queue page; its count and list come from the
page's own polling, as in use.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import time_machine  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402
from screenshots import CHROMIUM, DOCS, MORNING, log_in, seed, serve  # noqa: E402

from app import create_app  # noqa: E402
from centre.extensions import db  # noqa: E402
from staff import accounts  # noqa: E402


def shoot(base: str) -> None:
    """Photograph the queue page of a French-speaking and an Arabic-speaking agent."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for email, code in (("amina@example.org", "fr"), ("youssef@example.org", "ar")):
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            log_in(page, base, email)
            page.goto(f"{base}/tickets/")
            expect(page.locator("#waiting-callers li").first).to_be_visible()
            page.wait_for_timeout(6000)  # one poll has updated the page in place
            page.screenshot(path=str(DOCS / f"queue-live-{code}.png"))
            page.close()
        browser.close()


def main() -> None:
    """Seed a temporary database, serve the app on it, and take the screenshots."""
    with tempfile.TemporaryDirectory() as folder, time_machine.travel(MORNING, tick=True):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/queue.db",
                "SECRET_KEY": "screenshots",
                "PHONE_HASH_KEY": "screenshots",
                "SESSION_COOKIE_SECURE": False,
            }
        )
        seed(app)
        with app.app_context():
            youssef = accounts.by_email("youssef@example.org")
            assert youssef is not None
            youssef.available = True
            db.session.commit()
        serve(app, shoot)
    print("wrote docs/queue-live-fr.png, docs/queue-live-ar.png")


if __name__ == "__main__":
    main()
