"""Server time of the desk's queue and ticket pages with a million tickets in PostgreSQL.

Two years of tickets at random: 5% still to handle (new, open, waiting), the rest resolved or
closed; types, languages and countries drawn evenly; a note on every fifth, a recording on 30%.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_desk python bench/desk_pages.py

The database's schema is DROPPED and rebuilt (never point this at real data). Tickets are
bulk-generated in SQL (INSERT ... SELECT generate_series), then each page is requested
in-process through the app (no network), and the time from request to full response is
reported as p50/p99. Target: p99 under 100 ms.
"""

from __future__ import annotations

import os
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from bench.database import database_url, generate, spread  # noqa: E402
from bench.pages import PASSWORD, logged_in, page_times  # noqa: E402
from centre.extensions import db  # noqa: E402
from staff import accounts  # noqa: E402

TICKETS = int(os.environ.get("BENCH_TICKETS", "1000000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))

GENERATE = """
INSERT INTO tickets (reference, type, status, language, country, caller_masked, caller_hash,
                     call_sid, source_key, ivr_path, has_message, created_at, updated_at, version,
                     assignee_id, merged_into_id, due_at, warn_at, queue_key)
SELECT lpad((100000000 + g)::text, 9, '0'), kind,
       CASE WHEN r1 < 0.02 THEN 'new' WHEN r1 < 0.04 THEN 'open' WHEN r1 < 0.05 THEN 'waiting'
            WHEN r1 < 0.55 THEN 'resolved' ELSE 'closed' END,
       (ARRAY['ar','fr','es','it','nl','de','en'])[1 + floor(r2 * 7)::int],
       (ARRAY['FR','BE','ES','IT','NL','DE','GB','CH','PT','AT','SE'])[1 + floor(r3 * 11)::int],
       '+33*******' || lpad((g % 100)::text, 2, '0'), NULL, 'CA' || g, NULL,
       '[{"from": "language", "input": "2", "to": "welcome"}, {"from": "main", "input": "3", "to": "feedback"}, {"from": "feedback", "input": "1", "to": "record"}]',
       r4 < 0.3, created, created, 1, NULL, NULL,
       created + interval '2 days', created + interval '36 hours',
       extract(epoch FROM created + interval '2 days')::bigint  -- queue_key: the due time
FROM (SELECT g, (now() at time zone 'utc') - g * interval '63 seconds' AS created,
             (ARRAY['complaint','suggestion','observation','callback','escalated_call'])[1 + floor(random() * 5)::int] AS kind,
             random() AS r1, random() AS r2, random() AS r3, random() AS r4
      FROM generate_series(1, :count) AS g) AS source
"""
NOTES = """
INSERT INTO ticket_notes (ticket_id, author_id, kind, body, created_at)
SELECT t.id, NULL, 'note', 'Note ' || t.id || ': le passeport est prêt au consulat.', t.created_at
FROM tickets t WHERE t.id % 5 = 0
"""
RECORDINGS = """
INSERT INTO recordings (ticket_id, recording_sid, url, duration, created_at)
SELECT t.id, 'RE' || t.id, 'https://api.twilio.com/x/Recordings/RE' || t.id, 30, t.created_at
FROM tickets t WHERE t.has_message
"""


def build(app) -> None:  # type: ignore[no-untyped-def]
    """Drop and rebuild the schema, then bulk-generate the tickets, notes and recordings."""
    seconds = generate(app, (GENERATE, NOTES, RECORDINGS), {"count": TICKETS})
    print(f"generated {TICKETS:,} tickets in {seconds:.1f} s")
    with app.app_context():
        for email, role, codes in (
            ("agent@bench.example.org", "agent", "fr ar"),
            ("supervisor@bench.example.org", "supervisor", ""),
        ):
            accounts.create(email, PASSWORD, role, codes, actor_email="bench")
        db.session.commit()


def main() -> None:
    """Build the data, then time the queue and ticket pages and print p50/p99."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(),
            "APP_ENV": "testing",
            "TESTING": False,
            "SECRET_KEY": "bench",
            "DB_TIMEOUT_SECONDS": 10,
        }
    )
    build(app)
    agent = logged_in(app, "agent@bench.example.org")
    supervisor = logged_in(app, "supervisor@bench.example.org")
    with app.app_context():
        visible = list(
            db.session.scalars(
                sa.text(
                    "SELECT id FROM tickets WHERE language IN ('fr', 'ar') ORDER BY random() LIMIT 2000"
                )
            )
        )
        plan = (
            db.session.execute(
                sa.text(
                    # The queue's first part, as desk.queue reads it: past their warning
                    # time and still to handle, soonest due first.
                    "EXPLAIN ANALYZE SELECT * FROM tickets WHERE language IN ('fr','ar') AND "
                    "status IN ('new','open','waiting') AND merged_into_id IS NULL "
                    "AND warn_at <= (now() at time zone 'utc') ORDER BY queue_key, id LIMIT 51"
                )
            )
            .scalars()
            .all()
        )
    print("queue query plan:", " | ".join(line.strip() for line in plan[:3]))
    queue_paths = [
        "/tickets/",
        "/tickets/?type=complaint",
        "/tickets/?status=all",
        "/tickets/?country=ES",
        "/tickets/?type=callback&country=BE",
        "/tickets/?status=resolved&language=ar",
        "/tickets/?from=2026-01-01&to=2026-01-31&status=all",
        "/tickets/?q=100004200",
    ]
    rng = random.Random(5)
    page_times(agent, queue_paths + [f"/tickets/{visible[0]}"])  # warm up
    figures = {}
    figures["queue (agent fr+ar, 8 filter mixes)"] = page_times(
        agent, [rng.choice(queue_paths) for _ in range(REQUESTS)]
    )
    figures["queue (supervisor, all languages)"] = page_times(
        supervisor, [rng.choice(queue_paths) for _ in range(REQUESTS)]
    )
    # Deeper pages: follow the keyset links five pages down.
    deep = []
    for _ in range(REQUESTS // 10):
        path = "/tickets/?status=all"
        for _ in range(5):
            started = time.perf_counter()
            page = agent.get(path).get_data(as_text=True)
            deep.append((time.perf_counter() - started) * 1000)
            path = re.search(r'<a class="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    figures["queue, keyset pages 1-5"] = deep
    figures["ticket page"] = page_times(
        agent, [f"/tickets/{rng.choice(visible)}" for _ in range(REQUESTS)]
    )
    print(f"{TICKETS:,} tickets, {REQUESTS} requests per line (server time, in-process):")
    for name, values in figures.items():
        print(f"  {name:<40} {spread(values)}")


if __name__ == "__main__":
    main()
