"""Benchmark: import 1,000,000 cases into PostgreSQL with `flask cases import`, then time lookups.

    python bench/case_lookup.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
                                [--cases 1000000] [--lookups 2000]

It DROPS AND RECREATES the schema of the database it is given. The lookup step is the
webhook that checks the reference and the date of birth (the caller's "1" after the date is
read back); its latency is measured in-process, through the same signed requests as Twilio's.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from bench.database import add_database_argument, reset_schema, spread  # noqa: E402
from cases.changes import FIELDS  # noqa: E402
from cases.models import STATUSES, Case  # noqa: E402
from centre.check_digit import luhn_check_digit  # noqa: E402
from centre.extensions import db  # noqa: E402
from centre.languages import CODES  # noqa: E402
from ivr.driver import FlaskTransport, PhoneCall  # noqa: E402

TOKEN = "bench-token"  # noqa: S105 (signs the simulated webhooks only)
CONFIG = {
    "APP_ENV": "bench",
    "LOG_LEVEL": "WARNING",
    "SECRET_KEY": "bench",
    "PHONE_HASH_KEY": "bench-key",
    "TWILIO_AUTH_TOKEN": TOKEN,
    "HOLD_MUSIC_URL": "",
}
SERVICES = [
    "passport-renewal",
    "national-id-card",
    "consular-registration",
    "birth-certificate",
    "repatriation",
]
CONSULATES = ["Paris", "Bruxelles", "Madrid", "Milano", "Rotterdam", "Düsseldorf", "London"]


def reference(n: int) -> str:
    """Return the n-th benchmark reference (nine digits and a Luhn check digit)."""
    body = str(100_000_000 + n)
    return body + luhn_check_digit(body)


def birth_date(n: int) -> date:
    """Return the n-th case's date of birth."""
    return date(1940, 1, 1) + timedelta(days=(n * 7919) % 25_000)


def write_cases(path: Path, count: int) -> None:
    """Write `count` cases, a third with a phone number, as the back office would export them."""
    rng = random.Random(4)
    # The columns the importer knows, by name (cases.changes): the feed's format is the app's.
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=FIELDS)
        writer.writeheader()
        for n in range(count):
            status = rng.choice(STATUSES)
            writer.writerow(
                {
                    "reference": reference(n),
                    "birth_date": birth_date(n).isoformat(),
                    "service": rng.choice(SERVICES),
                    "status": status,
                    "updated_at": f"2026-11-{1 + n % 20:02d}T{n % 24:02d}:{n % 60:02d}:00+01:00",
                    "phone": f"+336{n % 100_000_000:08d}" if n % 3 == 0 else "",
                    "language": rng.choice(CODES),
                    "missing_documents": "photos;birth_certificate"
                    if status == "awaiting_documents"
                    else "",
                    "consulate": rng.choice(CONSULATES),
                    "expected_date": "2026-12-15" if n % 2 else "",
                }
            )


def time_lookups(app, count: int, total: int) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    """Drive calls up to the lookup step and time that one webhook, per kind of outcome."""
    rng = random.Random(7)
    kinds = ["found"] * 7 + ["unknown_reference", "wrong_birth_date", "bad_check_digit"]
    timings: dict[str, list[float]] = {kind: [] for kind in [*set(kinds), "(main menu key)"]}
    for i in range(count):
        kind = kinds[i % len(kinds)]
        n = rng.randrange(total)
        typed, born = reference(n), birth_date(n)
        if kind == "unknown_reference":
            typed = reference(total + n)
        elif kind == "wrong_birth_date":
            born += timedelta(days=1)
        elif kind == "bad_check_digit":
            typed = typed[:-1] + str((int(typed[-1]) + 1) % 10)
        # A number of its own for each call: the per-number limit is not what is measured.
        phone = PhoneCall(FlaskTransport(app), TOKEN, caller=f"+3369{i:07d}")
        phone.dial()
        phone.press("7")
        started = time.perf_counter()
        phone.press("2")  # for comparison: a plain menu step on the same machine, same moment
        timings["(main menu key)"].append((time.perf_counter() - started) * 1000)
        phone.press(typed + "#")
        phone.press("1")
        phone.press(born.strftime("%d%m%Y") + "#")
        started = time.perf_counter()
        turn = phone.press("1")
        timings[kind].append((time.perf_counter() - started) * 1000)
        assert ("could not confirm" in turn.text) == (kind != "found"), turn.text
    return timings


def load(app, url: str, count: int) -> None:  # type: ignore[no-untyped-def]
    """Recreate the schema, write `count` cases to a CSV and import it twice, timed."""
    reset_schema(app)
    with app.app_context():
        db.engine.dispose()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.csv"
        started = time.perf_counter()
        write_cases(path, count)
        print(
            f"wrote {count:,} cases ({path.stat().st_size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "PHONE_HASH_KEY": "bench-key",
            "SECRET_KEY": "bench",
            "LOG_LEVEL": "WARNING",
        }
        started = time.perf_counter()
        subprocess.run(
            ["flask", "--app", "app", "cases", "import", str(path)], cwd=ROOT, env=env, check=True
        )
        imported = time.perf_counter() - started
        print(f"import: {imported:.1f} s, {count / imported:,.0f} rows/s")
        started = time.perf_counter()
        subprocess.run(
            ["flask", "--app", "app", "cases", "import", str(path)], cwd=ROOT, env=env, check=True
        )
        print(
            f"re-import of the same file (all already known): {time.perf_counter() - started:.1f} s"
        )


def time_service(app, count: int, total: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Time `cases.lookups.look_up` alone (limit check, indexed read, log row), flushed each time."""
    from cases.lookups import look_up
    from cases.references import birth_date_proof

    rng = random.Random(11)
    timings = []
    with app.app_context():
        for i in range(count):
            n = rng.randrange(total)
            proof = birth_date_proof(reference(n), birth_date(n), CONFIG["PHONE_HASH_KEY"])
            started = time.perf_counter()
            found = look_up(reference(n), proof, f"CAbench{i}", f"bench{i}", "bench-key")
            db.session.flush()
            timings.append((time.perf_counter() - started) * 1000)
            assert found.found
        db.session.rollback()
    return timings


def main() -> None:
    """Load the cases, time the import and the lookups, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_argument(parser)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--redis-url", default="", help="count failures in Redis, not the database")
    parser.add_argument("--lookups-only", action="store_true", help="reuse the cases loaded before")
    args = parser.parse_args()

    app = create_app(
        {
            **CONFIG,
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "REDIS_URL": args.redis_url,
            "REDIS_PREFIX": "bench-case-lookup:",
        }
    )
    if not args.lookups_only:
        load(app, args.database_url, args.cases)
    with app.app_context():
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(Case)) or 0
    print(
        f"cases stored: {stored:,}; failures counted in {'Redis' if args.redis_url else 'the database'}"
    )
    timings = time_lookups(app, args.lookups, stored)
    every = [t for kind, values in timings.items() if kind[0] != "(" for t in values]
    print(f"lookup step over {len(every)} calls: {spread(every, 2)}")
    alone = time_service(app, args.lookups, stored)
    for kind, values in [("(look_up() alone)", alone), *sorted(timings.items())]:
        print(f"  {kind:<18} n={len(values):<5} {spread(values, 2)}")


if __name__ == "__main__":
    main()
