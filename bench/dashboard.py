"""Server time of the supervisors' dashboard for a month and for a year, 1,000,000 calls in PostgreSQL.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_dashboard python bench/dashboard.py

The database's schema is DROPPED and rebuilt (never point this at real data). A year of calls
is bulk-generated in SQL (INSERT ... SELECT generate_series): languages, countries and outcomes
at random, 40% of calls asking the guide, escalated and abandoned ones queued with their waits;
a ticket for each escalation and for one call in twenty (feedback, callbacks), most of them
resolved with a resolution note. Each page is requested in-process through the app, and the
time from request to full response is reported (median and worst of BENCH_REQUESTS).

Three situations are timed: the very first year asked with no summary at all (the page
summarises every past day on the way: the worst case, once); the daily state after
`flask reports refresh` (past days from their summaries, today from the rows: p50 and
worst); and after agents changed tickets of ten scattered past days (those days are
computed again on the next view). Target: year < 500 ms.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from bench.database import database_url, generate, spread  # noqa: E402
from bench.pages import PASSWORD, logged_in, page_times  # noqa: E402
from centre.extensions import db  # noqa: E402
from reports.models import ReportDay  # noqa: E402
from staff import accounts  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "1000000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "10"))

CALLS_SQL = """
INSERT INTO calls (call_sid, caller_hash, caller_masked, dialled, country, language, offered, node,
                   step, retries, context, started_at, ended_at, status, duration, outcome,
                   queue_entered_at, queue_left_at, queue_result)
SELECT 'CA' || g, md5(g::text), '+33*******' || lpad((g % 100)::text, 2, '0'), '+33805000000', country,
       language, 'fr ar es it nl de en', 'goodbye', 8, 0,
       CASE WHEN r_guide < 0.4 THEN json_build_object('tz', 'Europe/Paris', 'guide_slug',
            (ARRAY['passport','national-id-card','birth-certificate','marriage','consular-card'])[1 + floor(r_slug * 5)::int])
            ELSE json_build_object('tz', 'Europe/Paris') END,
       started, started + make_interval(secs => 60 + floor(r_len * 500)), 'completed',
       60 + floor(r_len * 500)::int, outcome,
       CASE WHEN outcome IN ('escalated', 'abandoned') THEN started + interval '40 seconds' END,
       CASE WHEN outcome IN ('escalated', 'abandoned')
            THEN started + interval '40 seconds' + make_interval(secs => floor(r_wait * 600)) END,
       CASE WHEN outcome = 'escalated' THEN 'bridged' WHEN outcome = 'abandoned' THEN 'hangup' END
FROM (SELECT g, (now() AT TIME ZONE 'utc') - g * (interval '365 days' / :count) AS started,
             (ARRAY['FR','BE','ES','IT','NL','DE','GB','CH','PT','AT','SE'])[1 + floor(random() * 11)::int] AS country,
             (ARRAY['ar','fr','es','it','nl','de','en'])[1 + floor(random() * 7)::int] AS language,
             CASE WHEN r < 0.55 THEN 'self_service' WHEN r < 0.85 THEN 'escalated'
                  WHEN r < 0.95 THEN 'abandoned' ELSE 'failed' END AS outcome,
             random() AS r_guide, random() AS r_slug, random() AS r_len, random() AS r_wait
      FROM (SELECT g, random() AS r FROM generate_series(1, :count) AS g) AS numbers) AS source
"""
TICKETS_SQL = """
INSERT INTO tickets (reference, type, status, language, country, caller_masked, caller_hash, call_sid,
                     ivr_path, has_message, created_at, updated_at, version, due_at, warn_at, queue_key)
SELECT lpad(c.id::text, 9, '0'), kind,
       CASE WHEN c.id % 20 = 0 THEN 'new' WHEN c.id % 20 = 1 THEN 'open' WHEN c.id % 2 = 0
            THEN 'resolved' ELSE 'closed' END,
       c.language, c.country, c.caller_masked, c.caller_hash, c.call_sid, '[]', false,
       c.started_at, c.started_at, 1, c.started_at + interval '1 day', c.started_at + interval '18 hours', 0
FROM (SELECT c.*, CASE WHEN c.outcome = 'escalated' THEN 'escalated_call'
                       ELSE (ARRAY['complaint','suggestion','observation','callback'])[1 + (c.id / 20) % 4] END AS kind
      FROM calls c WHERE c.outcome = 'escalated' OR c.id % 20 = 3) AS c
"""
NOTES_SQL = """
INSERT INTO ticket_notes (ticket_id, author_id, kind, body, created_at)
SELECT id, NULL, 'resolution', 'Resolved.',
       created_at + CASE WHEN id % 3 = 0 THEN interval '2 days' ELSE interval '3 hours' END
FROM tickets WHERE status IN ('resolved', 'closed')
"""


def build(app) -> None:  # type: ignore[no-untyped-def]
    """Drop and rebuild the schema, then bulk-generate the calls, tickets and notes."""
    seconds = generate(app, (CALLS_SQL, TICKETS_SQL, NOTES_SQL), {"count": CALLS})
    with app.app_context():
        tickets = db.session.scalar(sa.text("SELECT count(*) FROM tickets"))
        print(f"generated {CALLS:,} calls and {tickets:,} tickets in {seconds:.1f} s")
        accounts.create(
            "supervisor@bench.example.org", PASSWORD, "supervisor", "", actor_email="bench"
        )
        db.session.commit()


def show(label: str, times: list[float]) -> None:
    """Print the spread of `times` (milliseconds)."""
    print(f"{label:<44} {spread(times)}   ({len(times)} requests)")


def touch_past_days(app, days: int) -> None:  # type: ignore[no-untyped-def]
    """Resolve an open ticket on each of `days` scattered past days, as an agent would."""
    from centre.clock import CENTRE_TZ, now, to_storage
    from tickets.models import Ticket

    with app.app_context():
        today = now().astimezone(CENTRE_TZ).date()
        for n in range(days):
            day = today.fromordinal(today.toordinal() - 3 - n * 31)
            ticket = db.session.scalars(
                sa.select(Ticket)
                .where(
                    Ticket.status == "open", Ticket.created_at >= to_storage(calendar_start(day))
                )
                .order_by(Ticket.created_at)
                .limit(1)
            ).first()
            if ticket is None:  # a small run may have no open ticket left that far back
                continue
            ticket.status = "waiting"
        db.session.commit()


def calendar_start(day):  # type: ignore[no-untyped-def]
    """Return the first instant of a Moroccan day."""
    from datetime import datetime, time

    from centre.clock import CENTRE_TZ

    return datetime.combine(day, time(0), CENTRE_TZ)


def main() -> None:
    """Build the data, then time the dashboard for the last month and the last year."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(),
            "DB_TIMEOUT_SECONDS": 60,
            "WTF_CSRF_ENABLED": True,
        }
    )
    build(app)
    client = logged_in(app, "supervisor@bench.example.org")
    from centre.clock import CENTRE_TZ, now

    today = now().astimezone(CENTRE_TZ).date()
    paths = {}
    for label, days in (("month", 30), ("year", 365)):
        first = today.fromordinal(today.toordinal() - days + 1)
        paths[label] = f"/reports/?from={first.isoformat()}&to={today.isoformat()}"
    show("year, first view, no summary yet", page_times(client, [paths["year"]]))
    with app.app_context():
        db.session.execute(sa.delete(ReportDay))
        db.session.commit()
    runner = app.test_cli_runner()
    began = time.perf_counter()
    result = runner.invoke(args=["reports", "refresh"])
    print(
        f"flask reports refresh (every past day): {time.perf_counter() - began:.1f} s; "
        + result.output.replace("\n", "; ").strip("; ")
    )
    for label in ("month", "year"):
        show(f"{label}, past days summarised", page_times(client, [paths[label]] * REQUESTS))
    touch_past_days(app, 10)
    show("year, first view after 10 past days changed", page_times(client, [paths["year"]]))
    show("year, next views", page_times(client, [paths["year"]] * REQUESTS))


if __name__ == "__main__":
    main()
