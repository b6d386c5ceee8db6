"""How fast the job queue hands messages to Twilio, and drains the texts a closure causes.

    python bench/jobs.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_jobs]
                         [--redis-url redis://127.0.0.1:6379/0] [--messages 2000] [--workers 4]
                         [--callbacks 3000] [--paced 10]

The database's schema is DROPPED and rebuilt (a PostgreSQL database whose name contains
"bench"). Twilio is a stub on loopback (bench/twilio_stub.py, answering at once); the queue is
Redis under a prefix of its own (deleted at the end); the worker is a real `flask jobs run`
process. It prints:

1. messages per second: `--messages` texts written in one transaction, then drained by one
   worker process with `--workers` threads, unpaced (SMS_PER_SECOND=0);
2. pacing: 5 s worth of texts at `--paced` per second from one number, and the rate achieved;
3. a closure over `--callbacks` booked callbacks: the time of the closure's transaction (it
   moves every callback and writes a text to each caller), the backlog it leaves, and the time
   for the worker to drain it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from bench.database import add_database_argument, reset_schema  # noqa: E402
from bench.twilio_stub import StubTwilio  # noqa: E402
from centre import jobs, messaging  # noqa: E402
from centre.clock import from_storage, now  # noqa: E402
from centre.extensions import db  # noqa: E402
from centre.messaging import OutboundMessage  # noqa: E402
from operations import running  # noqa: E402
from tickets import callbacks  # noqa: E402
from tickets.models import Callback  # noqa: E402

SID, TOKEN, SENDER = "AC" + "5" * 32, "bench-token", "+33700000000"


def settings(args: argparse.Namespace, prefix: str, stub: StubTwilio) -> dict[str, str]:
    """Return the environment the app and its worker share."""
    return {
        "APP_ENV": "development",
        "SECRET_KEY": "bench",
        "PHONE_HASH_KEY": "bench-key",
        "DATABASE_URL": args.database_url,
        "JOBS_URL": args.redis_url,
        "REDIS_URL": args.redis_url,
        "REDIS_PREFIX": prefix,
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_SMS_FROM": SENDER,
        "TWILIO_API_URL": stub.origin,
        "PUBLIC_URL": "https://centre.example.org",
        "LOG_LEVEL": "WARNING",
        "SMS_PER_SECOND": "0",
        "CALLBACK_SLOT_CAPACITY": "250",
    }


def config(env: dict[str, str]) -> dict[str, object]:
    """Return the app's overrides for `env` (the bench process builds its app from them)."""
    return {
        "APP_ENV": "development",
        "SECRET_KEY": "bench",
        "PHONE_HASH_KEY": "bench-key",
        "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
        "JOBS_URL": env["JOBS_URL"],
        "REDIS_URL": env["REDIS_URL"],
        "REDIS_PREFIX": env["REDIS_PREFIX"],
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_SMS_FROM": SENDER,
        "TWILIO_API_URL": env["TWILIO_API_URL"],
        "PUBLIC_URL": env["PUBLIC_URL"],
        "LOG_LEVEL": "WARNING",
        "CALLBACK_SLOT_CAPACITY": 250,
        "DB_TIMEOUT_SECONDS": 60,
    }


def worker(env: dict[str, str], workers: int, **extra: str) -> subprocess.Popen[bytes]:
    """Start `flask jobs run` (no scheduler: only the jobs are measured)."""
    flask = Path(sys.executable).with_name("flask")
    return subprocess.Popen(
        [str(flask), "--app", "app", "jobs", "run", "--workers", str(workers), "--no-scheduler"],
        cwd=ROOT,
        env={**os.environ, **env, **extra},
    )


def wait_sent(app, count: int, limit: float = 600) -> float:  # type: ignore[no-untyped-def]
    """Wait until `count` messages left the outbox for Twilio; return the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        with app.app_context():
            sent = db.session.scalar(
                sa.select(sa.func.count()).where(OutboundMessage.status == "sent")
            )
            db.session.rollback()
        if sent >= count:
            return time.perf_counter() - started
        time.sleep(0.05)
    raise SystemExit(f"only {sent} of {count} messages sent within {limit} s")


def write_texts(app, count: int, tag: str) -> None:  # type: ignore[no-untyped-def]
    """Write `count` texts to distinct numbers in one transaction (it enqueues them on commit)."""
    with app.app_context():
        for n in range(count):
            messaging.send_sms(f"+3361{n:07d}", f"Bench {tag} {n}", "fr", "bench")
        db.session.commit()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a worker and wait for it."""
    process.terminate()
    process.wait(30)


def main() -> None:
    """Run the three measures and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_argument(parser, "postgresql+psycopg://postgres@127.0.0.1:5432/bench_jobs")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--callbacks", type=int, default=3000)
    parser.add_argument("--paced", type=float, default=10)
    args = parser.parse_args()
    prefix = f"bench-jobs-{secrets.token_hex(4)}:"
    stub = StubTwilio().start()
    env = settings(args, prefix, stub)
    app = create_app(config(env))
    reset_schema(app)
    if app.test_cli_runner().invoke(args=["setup"]).exit_code != 0:
        raise SystemExit("flask setup failed")
    try:
        # 1. Throughput, unpaced.
        write_texts(app, args.messages, "throughput")
        process = worker(env, args.workers)
        seconds = wait_sent(app, args.messages)
        stop(process)
        print(
            f"throughput: {args.messages} texts in {seconds:.1f} s by {args.workers} worker "
            f"threads: {args.messages / seconds:.0f} messages/s (Twilio stub accepted "
            f"{stub.count()})"
        )

        # 2. Pacing: one sender number, --paced per second.
        paced = int(args.paced * 5)
        write_texts(app, paced, "paced")
        process = worker(env, args.workers, SMS_PER_SECOND=str(args.paced))
        seconds = wait_sent(app, args.messages + paced)
        stop(process)
        print(
            f"pacing at {args.paced:g}/s: {paced} texts in {seconds:.1f} s "
            f"({paced / seconds:.1f} messages/s, worker start-up included)"
        )

        # 3. A closure over the booked callbacks.
        app.config["TWILIO_ACCOUNT_SID"] = ""  # the bookings' own confirmations: only recorded
        with app.test_request_context():
            for n in range(args.callbacks):
                callbacks.book(
                    f"+3362{n:07d}",
                    "fr",
                    "bench-key",
                    now(),
                    country="FR",
                    source_key=f"bench-callback-{n}",
                )
                if n % 500 == 499:
                    db.session.commit()
            db.session.commit()
            first, last = db.session.execute(
                sa.select(sa.func.min(Callback.scheduled_at), sa.func.max(Callback.scheduled_at))
            ).one()
        app.config["TWILIO_ACCOUNT_SID"] = SID
        with app.test_request_context():
            started = time.perf_counter()
            starts = from_storage(first)
            running.add_closure(
                starts,
                from_storage(last) + timedelta(minutes=30),
                reason="bench",
                actor_email="bench",
            )
            moved = running.reschedule_callbacks()
            db.session.commit()
            closing = time.perf_counter() - started
            backlog = messaging.backlog(now() - timedelta(days=1))
            depth = jobs.queue_depth()
        print(
            f"closure: {moved} callbacks moved and their texts written in {closing:.1f} s; "
            f"backlog {backlog.queued} texts (broker: {depth.waiting if depth else '?'} jobs)"
        )
        sent_before = args.messages + paced
        process = worker(env, args.workers)
        seconds = wait_sent(app, sent_before + moved)
        stop(process)
        print(
            f"drain: {moved} texts in {seconds:.1f} s ({moved / seconds:.0f} messages/s, "
            f"worker start-up included); Twilio stub accepted {stub.count()} in all"
        )
    finally:
        stub.stop()
        client = redis.Redis.from_url(args.redis_url)
        keys = list(client.scan_iter(f"*{prefix.replace(':', '')}*", count=1000))
        keys += list(client.scan_iter(f"{prefix}*", count=1000))
        if keys:
            client.delete(*set(keys))


if __name__ == "__main__":
    main()
