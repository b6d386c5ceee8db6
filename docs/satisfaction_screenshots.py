"""Take docs/satisfaction-{fr,ar}.png and docs/satisfaction-wallboard-{fr,ar}.png.

    python docs/satisfaction_screenshots.py

On the demo week of `flask setup --demo` (whose resolved tickets were surveyed), at a fixed
working morning: the dashboard's headline and its three satisfaction figures (by language,
type of request and agent), their tables unfolded; the other figures are hidden for the
photograph only; then the wallboard, whose headline and agents' table give today's
satisfaction. Debian's Chromium only; a temporary SQLite database, nothing else touched.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))

import time_machine  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from screenshots import CHROMIUM, DOCS, MORNING, demo_week, log_in, serve  # noqa: E402

from app import create_app  # noqa: E402

PERIOD = "from=2026-11-24&to=2026-12-01"
# Hide every figure but satisfaction, and unfold the satisfaction tables.
KEEP_SATISFACTION = """() => {
  for (const s of document.querySelectorAll('section.figure')) {
    if (!s.id.startsWith('satisfaction')) s.style.display = 'none';
    else s.querySelector('details')?.setAttribute('open', '');
  }
  for (const p of document.querySelectorAll('p.exports, p.note, nav.figures')) p.style.display = 'none';
}"""


def shoot(base: str) -> None:
    """Photograph the satisfaction part of the dashboard as each supervisor reads it."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for email, code in (("superviseur@example.org", "fr"), ("mushrif@example.org", "ar")):
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            log_in(page, base, email)
            page.goto(f"{base}/reports/?{PERIOD}")
            page.evaluate(KEEP_SATISFACTION)
            page.screenshot(path=str(DOCS / f"satisfaction-{code}.png"), full_page=True)
            page.goto(f"{base}/reports/floor")
            page.screenshot(path=str(DOCS / f"satisfaction-wallboard-{code}.png"), full_page=True)
            page.close()
        browser.close()


def main() -> None:
    """Seed the demo week, serve it, and take the two screenshots."""
    with tempfile.TemporaryDirectory() as folder, time_machine.travel(MORNING, tick=True):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/week.db",
                "SECRET_KEY": "screenshots",
                "PHONE_HASH_KEY": "screenshots",
                "SESSION_COOKIE_SECURE": False,
            }
        )
        demo_week(app)
        serve(app, shoot)
    print("wrote docs/satisfaction-{fr,ar}.png, docs/satisfaction-wallboard-{fr,ar}.png")


if __name__ == "__main__":
    main()
