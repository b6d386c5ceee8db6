"""The wallboard's reads with 1,000 calls in progress on top of a year of history, in PostgreSQL.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_wallboard python bench/wallboard.py

The database's schema is DROPPED and rebuilt (never point this at real data). A year of
ended calls and their tickets is bulk-generated as bench/dashboard.py does (BENCH_CALLS,
500,000 by default: ~1,400 calls a day), then the live floor: BENCH_LIVE calls still going
(1,000 by default) spread over the menu, the guide, case status and the queue, an
escalation ticket per queued caller (a third of them taken by an agent), 70 agents, a
day's audit entries and a year of callback attempts, callbacks booked over the next hours.

Two things are timed, BENCH_REQUESTS times each: `reports.floor.snapshot` alone (every
query of one refresh, in the app), and the JSON refresh the page polls, requested
in-process through the app (routing, session, the snapshot and its words). BENCH_KEEP=1
times again on the last run's data without rebuilding it. Target: p99
under 100 ms, so that a wallboard refreshing every five seconds on many screens stays cheap.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from bench.dashboard import CALLS_SQL, NOTES_SQL, TICKETS_SQL  # noqa: E402
from bench.database import database_url, generate, spread  # noqa: E402
from bench.pages import PASSWORD, logged_in, page_times  # noqa: E402
from centre.clock import now  # noqa: E402
from centre.extensions import db  # noqa: E402
from reports import floor  # noqa: E402
from staff import accounts  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "500000"))
LIVE = int(os.environ.get("BENCH_LIVE", "1000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
KEEP = os.environ.get("BENCH_KEEP") == "1"  # time again on the data of the last run

AGENTS_SQL = """
INSERT INTO staff_users (email, password_hash, role, languages, locale, phone, active, available,
                         created_at, updated_at, password_changed_at)
SELECT 'agent' || g || '@bench.example.org', 'x', 'agent',
       (ARRAY['fr ar','ar','es it','nl de en','fr','ar fr es','de en'])[1 + g % 7], 'fr',
       '+2126000' || lpad(g::text, 5, '0'), true, g % 3 <> 0,
       now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc'
FROM generate_series(1, 70) AS g
"""
LIVE_SQL = """
INSERT INTO calls (call_sid, caller_hash, caller_masked, dialled, country, language, offered, node,
                   step, retries, context, started_at, status, queue_entered_at)
SELECT 'CALIVE' || g, md5('live' || g), '+33*******00', '+33805000000', 'FR',
       (ARRAY['ar','fr','es','it','nl','de','en'])[1 + g % 7], 'fr ar es it nl de en', node, 4, 0,
       '{}', started, 'in-progress',
       CASE WHEN node = 'agent' THEN started + interval '40 seconds' END
FROM (SELECT g, (now() AT TIME ZONE 'utc') - make_interval(secs => g % 1500) AS started,
             (ARRAY['main','guide_answer','case_lookup','agent','agent','guide','feedback'])[1 + (g / 7) % 7] AS node
      FROM generate_series(1, :live) AS g) AS source
"""
QUEUED_TICKETS_SQL = """
INSERT INTO tickets (reference, type, status, language, country, caller_masked, caller_hash, call_sid,
                     ivr_path, has_message, created_at, updated_at, version, due_at, warn_at, queue_key,
                     assignee_id)
SELECT 'L' || lpad(c.id::text, 8, '0'), 'escalated_call', 'new', c.language, 'FR', c.caller_masked,
       c.caller_hash, c.call_sid, '[]', false, c.queue_entered_at, c.queue_entered_at, 1,
       c.queue_entered_at + interval '1 day', c.queue_entered_at + interval '18 hours', 0,
       CASE WHEN c.id % 3 = 0 THEN (SELECT id FROM staff_users ORDER BY id LIMIT 1 OFFSET (c.id % 70)) END
FROM calls c WHERE c.ended_at IS NULL AND c.node = 'agent'
"""
AUDIT_SQL = """
INSERT INTO audit_entries (at, actor_id, actor_email, action, target_type, target_id, address, occurrences)
SELECT (now() AT TIME ZONE 'utc') - make_interval(secs => g % 20000), u.id, u.email,
       (ARRAY['ticket.take_call','ticket.status','ticket.note','ticket.claim'])[1 + g % 4], 'ticket',
       (SELECT id FROM tickets ORDER BY id DESC LIMIT 1 OFFSET (g % 5000)), '127.0.0.1', 1
FROM generate_series(1, 4000) AS g JOIN staff_users u ON u.id = 1 + g % 70
"""
CALLBACKS_SQL = """
INSERT INTO callbacks (ticket_id, number, priority_at, not_before, scheduled_at, state)
SELECT t.id, '+33600000000', t.created_at, t.created_at,
       CASE WHEN t.id % 50 = 0 THEN (now() AT TIME ZONE 'utc') + make_interval(mins => t.id % 180)
            ELSE t.created_at + interval '1 hour' END,
       CASE WHEN t.id % 50 = 0 THEN 'booked' ELSE 'done' END
FROM tickets t WHERE t.type = 'callback'
"""
ATTEMPTS_SQL = """
INSERT INTO callback_attempts (ticket_id, agent_id, outcome, requested_at, outcome_at)
SELECT t.id, 1 + t.id % 70, (ARRAY['reached','no_answer','reached'])[1 + t.id % 3],
       t.created_at + interval '1 hour', t.created_at + interval '70 minutes'
FROM tickets t WHERE t.type = 'callback'
"""


def build(app) -> None:  # type: ignore[no-untyped-def]
    """Drop and rebuild the schema, then generate the year behind and the floor of now."""
    statements = (
        CALLS_SQL,
        TICKETS_SQL,
        NOTES_SQL,
        AGENTS_SQL,
        LIVE_SQL,
        QUEUED_TICKETS_SQL,
        AUDIT_SQL,
        CALLBACKS_SQL,
        ATTEMPTS_SQL,
    )
    seconds = generate(app, statements, {"count": CALLS, "live": LIVE})
    with app.app_context():
        count = db.session.scalar(sa.text("SELECT count(*) FROM calls"))
        going = db.session.scalar(sa.text("SELECT count(*) FROM calls WHERE ended_at IS NULL"))
        print(f"generated {count:,} calls ({going:,} in progress) in {seconds:.1f} s")
        accounts.create(
            "supervisor@bench.example.org", PASSWORD, "supervisor", "", actor_email="bench"
        )
        db.session.commit()


def main() -> None:
    """Build the data, then time the floor's reads and the refresh the wallboard polls."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(),
            "DB_TIMEOUT_SECONDS": 60,
            "WTF_CSRF_ENABLED": True,
        }
    )
    if not KEEP:
        build(app)
    with app.test_request_context("/reports/floor.json"):
        shown = floor.snapshot(now())
        print(
            f"on the floor: {sum(shown.stages.values())} calls going, "
            f"{sum(line.waiting for line in shown.languages)} waiting, "
            f"{len(shown.agents)} agents, {len(shown.alerts)} alerts"
        )
        times = []
        for _ in range(REQUESTS):
            began = time.perf_counter()
            floor.snapshot(now())
            db.session.rollback()  # each refresh is its own request and transaction
            times.append((time.perf_counter() - began) * 1000)
    print(f"{'floor.snapshot (every query of a refresh)':<44} {spread(times)}   ({REQUESTS} runs)")
    client = logged_in(app, "supervisor@bench.example.org")
    times = page_times(client, ["/reports/floor.json"] * REQUESTS)
    print(f"{'GET /reports/floor.json':<44} {spread(times)}   ({REQUESTS} requests)")
    times = page_times(client, ["/reports/floor"] * max(REQUESTS // 10, 5))
    print(f"{'GET /reports/floor (the page)':<44} {spread(times)}")


if __name__ == "__main__":
    main()
