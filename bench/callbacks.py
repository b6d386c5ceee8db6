"""Time booking a callback as the number of callbacks already waiting grows, in PostgreSQL.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/callbacks.py
                      [--pending 5000] [--every 1000]

The database's schema is DROPPED and rebuilt (never point this at real data). Callbacks are
booked one after another in-process, each in its own transaction as the phone menu does
(ticket, slot, SMS in the outbox), by callers who asked in turn; every `--every` bookings it
prints p50/p99 of the last ones, then it books some for callers who left the queue earlier
(they keep their place, so everyone after them is reassigned: the slow path).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from app import create_app  # noqa: E402
from bench.database import add_database_argument, reset_schema, spread  # noqa: E402
from centre.clock import now  # noqa: E402
from centre.extensions import db  # noqa: E402
from tickets import callbacks  # noqa: E402

CONFIG = {
    "APP_ENV": "bench",
    "SECRET_KEY": "bench",
    "PHONE_HASH_KEY": "bench-key",
    "TWILIO_AUTH_TOKEN": "bench",
    "LOG_LEVEL": "WARNING",
}


def book(n: int, asked_at_offset: timedelta = timedelta(0)) -> float:
    """Book the n-th callback in its own transaction; return the milliseconds it took."""
    started = time.perf_counter()
    callbacks.book(
        f"+3361{n:07d}",
        "fr",
        CONFIG["PHONE_HASH_KEY"],
        now() - asked_at_offset,
        country="FR",
        source_key=f"bench-callback-{n}",
    )
    db.session.commit()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    """Rebuild the schema, book callbacks, print the booking times as the backlog grows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_argument(parser)
    parser.add_argument("--pending", type=int, default=5000)
    parser.add_argument("--every", type=int, default=1000)
    args = parser.parse_args()
    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": args.database_url})
    reset_schema(app)
    result = app.test_cli_runner().invoke(args=["setup"])  # the schema and the calendar
    if result.exit_code != 0:
        raise SystemExit(result.output)
    with app.test_request_context():
        timings: list[float] = []
        for n in range(1, args.pending + 1):
            timings.append(book(n))
            if n % args.every == 0:
                last = timings[-args.every :]
                print(f"{n:>6} waiting: booking {spread(last)}")
        kept = [book(args.pending + n, timedelta(hours=1)) for n in range(1, 11)]
        print(
            f"a caller who kept an earlier place (reassigns everyone after them), "
            f"{len(kept)} bookings: {spread(kept)}"
        )


if __name__ == "__main__":
    main()
