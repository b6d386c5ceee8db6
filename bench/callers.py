"""Load test: many simulated callers walking the menus at once against gunicorn on PostgreSQL.

    python bench/callers.py [--callers 200] [--workers 4] [--think 0.3] [--max-seconds 300]

Each caller places one call and walks it as a person would: dial, choose a language, a few
menu steps (repeat, silence, the guide), a complaint with a recorded message (and Twilio's
recording callback), then an agent (queue, wait message, answered) or a callback when the
centre is closed or the queue full, and hangs up (Twilio's status callback). Every request is
signed and checked as Twilio would: 200, text/xml, a playable <Response>, never the apology.
Loopback only; bounded by the number of callers and by --max-seconds.
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: import the app and bench as packages

from bench import servers  # noqa: E402
from bench.database import add_database_argument, percentile  # noqa: E402
from bench.webhooks import app_environment, prepare_database  # noqa: E402
from ivr.driver import HttpTransport, PhoneCall, Turn, TwimlError  # noqa: E402
from ivr.models import Call  # noqa: E402
from tickets.models import Callback, Recording, Ticket  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_callers"
SENTINEL_FALLBACK = "+10000000000"  # the apology dials this: any dial to it is a failure
DIALLED = ["+33805000000", "+34900000000", "+498000000000", "+39800000000", "+31800000000"]
SPOKEN = ["renew my passport", "passport", "national identity card", "visa", "main menu"]


class Failure(RuntimeError):
    """A request the caller could not go on from."""


@dataclass
class Tally:
    """Figures shared by every caller thread."""

    latencies: list[float] = field(default_factory=list)
    by_webhook: dict[str, list[float]] = field(default_factory=dict)  # path -> latencies
    timed: list[tuple[float, float]] = field(default_factory=list)  # (wall clock start, latency)
    failures: list[str] = field(default_factory=list)
    calls_done: int = 0
    messages_left: int = 0
    queued: int = 0
    callbacks: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class TimedTransport(HttpTransport):
    """HTTP to the server, timing every request and counting every non-TwiML answer."""

    def __init__(self, base_url: str, tally: Tally) -> None:
        """Post to `base_url`, recording into `tally`."""
        super().__init__(base_url, timeout=15.0)
        self.tally = tally

    def post(self, url: str, data: dict[str, str], headers: dict[str, str]) -> tuple[int, str, str]:
        """POST and time it; a socket error or timeout is a failure, not a crash."""
        started = time.perf_counter()
        try:
            answer = super().post(url, data, headers)
        except OSError as exc:
            raise Failure(f"{url}: {type(exc).__name__}: {exc}") from exc
        finally:
            elapsed = time.perf_counter() - started
            with self.tally.lock:
                self.tally.latencies.append(elapsed)
                self.tally.timed.append((time.time() - elapsed, elapsed))
                self.tally.by_webhook.setdefault(urlsplit(url).path, []).append(elapsed)
        return answer


class Caller:
    """One person calling once, with their own random choices."""

    def __init__(self, index: int, base_url: str, token: str, tally: Tally, seed: int) -> None:
        """Prepare caller number `index`."""
        self.rng = random.Random(seed * 100_003 + index)
        self.tally = tally
        number = f"+336{self.rng.randrange(10**8):08d}"
        self.phone = PhoneCall(
            TimedTransport(base_url, tally), token, caller=number, to=self.rng.choice(DIALLED)
        )

    def check(self, turn: Turn) -> Turn:
        """Refuse an apology: it means a webhook failed."""
        if turn.dial == SENTINEL_FALLBACK:
            raise Failure(f"apology at {turn.url}: {turn.text[:120]}")
        return turn

    def pause(self, think: float) -> None:
        """Listen to the prompt (a little randomness, so callers drift apart)."""
        time.sleep(think * self.rng.uniform(0.5, 1.5))

    def walk(self, think: float, deadline: float) -> None:
        """Walk the call; check each answer; stop at the deadline."""
        phone, rng = self.phone, self.rng

        def go(action) -> Turn:  # type: ignore[no-untyped-def]
            if time.monotonic() > deadline:
                raise Failure("the load test's time was up")
            self.pause(think)
            return self.check(action())

        go(phone.dial)
        main = _prompt(go(lambda: phone.press(rng.choice("1234567"))))
        silent = False
        for _ in range(rng.randint(1, 3)):  # a few menu steps
            choice = rng.choice(["repeat", "silence", "guide by keys", "guide by voice"])
            if choice == "repeat":
                go(lambda: phone.press("*"))
            elif choice == "silence" and not silent:  # once: three misses lead to an agent
                silent = True
                go(phone.silence)
            elif choice == "guide by keys":
                go(lambda: phone.press("1"))
                go(lambda: phone.press("1"))  # the first topic
                answer = go(lambda: phone.press("1"))  # its first service, read
                if answer.gather is not None and answer.said:
                    go(lambda: phone.press("2"))  # the next part
            elif choice == "guide by voice":
                go(lambda: phone.press("1"))
                go(lambda: phone.speak(rng.choice(SPOKEN)))
            self._home(go, main)
        # A complaint, recorded, and Twilio's recording callback.
        go(lambda: phone.press("3"))
        go(lambda: phone.press(rng.choice("123")))
        if phone.turn.record is None:
            raise Failure(f"no recording offered: {phone.turn.xml[:200]}")
        go(lambda: phone.leave_message(rng.randint(5, 60)))
        if phone.recording_ready() != 200:
            raise Failure("the recording callback was refused")
        with self.tally.lock:
            self.tally.messages_left += 1
        self._home(go, main)
        # A person: the queue when open, otherwise (or when it is full) a callback.
        turn = go(lambda: phone.press("0"))
        if turn.enqueue is not None:
            with self.tally.lock:
                self.tally.queued += 1
            queued = turn
            for position in range(rng.randint(1, 2), 0, -1):
                wait = go(lambda position=position: phone.hold(position, 30))
                if wait.gather is None:
                    raise Failure(f"the wait page offers nothing: {wait.xml[:200]}")
                phone.turn = queued  # Twilio keeps the caller queued while it plays the wait page
            go(lambda: phone.leave_queue("bridged"))
        elif turn.gather is not None:  # the callback offer
            booked = go(lambda: phone.press("1"))
            if not booked.hangup:
                raise Failure(f"the callback was not booked: {booked.text[:200]}")
            with self.tally.lock:
                self.tally.callbacks += 1
        else:
            raise Failure(f"no way to a person: {turn.xml[:200]}")
        if phone.hang_up() != 200:
            raise Failure("the status callback was refused")
        with self.tally.lock:
            self.tally.calls_done += 1

    def _home(self, go, main: list[str]) -> None:  # type: ignore[no-untyped-def]
        """Come back to the main menu: 9 from the menus, * from a guide answer (where 9 is no key)."""
        for _ in range(6):
            turn = self.phone.turn
            if turn is None or turn.gather is None:
                raise Failure(
                    f"lost on the way back to the main menu: {turn.xml[:200] if turn else ''}"
                )
            here = _prompt(turn)
            if here == main:
                return
            after = _prompt(go(lambda: self.phone.press("9")))
            if after == here:  # 9 is not a key here: go back instead
                go(lambda: self.phone.press("*"))
        raise Failure("could not find the way back to the main menu")


def _prompt(turn: Turn) -> list[str]:
    """Return the sentences said inside the turn's gather: the menu itself, without prefaces."""
    root = ElementTree.fromstring(turn.xml)  # noqa: S314 (the app's own TwiML)
    gather = root.find("Gather")
    return [] if gather is None else [say.text or "" for say in gather.findall("Say")]


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=200, help="simultaneous callers")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--think", type=float, default=0.3, help="seconds between steps (mean)")
    parser.add_argument("--ramp", type=float, default=2.0, help="seconds over which calls start")
    parser.add_argument("--max-seconds", type=float, default=300, help="hard limit of the run")
    parser.add_argument("--seed", type=int, default=1)
    add_database_argument(parser, DEFAULT_DATABASE_URL)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    options = parser.parse_args(argv)
    if not 1 <= options.callers <= 1000 or options.max_seconds > 1800:
        parser.error("at most 1000 callers and 1800 seconds")
    return options


def run(options: argparse.Namespace, base_url: str, token: str) -> tuple[Tally, float]:
    """Start every caller (spread over the ramp), wait for all, return the tally and seconds."""
    tally = Tally()
    started = time.monotonic()
    deadline = started + options.max_seconds

    def one(index: int) -> None:
        time.sleep(options.ramp * index / options.callers)
        caller = Caller(index, base_url, token, tally, options.seed)
        try:
            caller.walk(options.think, deadline)
        except (Failure, TwimlError) as exc:
            with tally.lock:
                tally.failures.append(f"caller {index}: {exc}")

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(options.callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline + 30 - time.monotonic()))
    return tally, time.monotonic() - started


def database_figures(engine: sa.Engine) -> dict[str, int]:
    """Return what the database holds after the run."""
    with engine.connect() as connection:

        def count(model, *where) -> int:  # type: ignore[no-untyped-def]
            query = sa.select(sa.func.count()).select_from(model).where(*where)
            return int(connection.scalar(query) or 0)

        return {
            "calls": count(Call),
            "calls ended": count(Call, Call.ended_at.is_not(None)),
            "tickets": count(Ticket),
            "recordings": count(Recording),
            "callbacks": count(Callback),
        }


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the app with gunicorn, run the callers, print the figures; 1 if anything failed."""
    options = parse_arguments(argv)
    servers.stop_on_sigterm()
    token = secrets.token_hex(16)
    env = app_environment(options.database_url, token)
    env["FALLBACK_AGENT_NUMBER"] = SENTINEL_FALLBACK
    print("preparing the database", flush=True)
    engine = prepare_database(options.database_url, env)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log = options.results / f"callers-{stamp}.log"
    try:
        with servers.Gunicorn("app:create_app()", options.workers, env, ROOT, log) as server:
            print(
                f"{options.callers} callers against {server.base_url}, "
                f"{options.workers} gunicorn workers",
                flush=True,
            )
            tally, seconds = run(options, server.base_url, token)
            errors = server.errors()
        held = database_figures(engine)
    finally:
        engine.dispose()
    requests = len(tally.latencies)
    failures = len(tally.failures)
    print()
    print(
        f"callers {options.callers}, calls completed {tally.calls_done}, "
        f"messages left {tally.messages_left}, queued {tally.queued}, "
        f"callbacks booked {tally.callbacks}"
    )
    print(
        f"requests {requests} in {seconds:.1f} s ({requests / seconds:.0f} req/s), "
        f"failures {failures}, server errors logged {errors}"
    )
    print(
        f"latency ms: p50 {1000 * percentile(tally.latencies, 0.50):.1f}, "
        f"p90 {1000 * percentile(tally.latencies, 0.90):.1f}, "
        f"p99 {1000 * percentile(tally.latencies, 0.99):.1f}, "
        f"max {1000 * max(tally.latencies, default=0):.1f}"
    )
    for path, latencies in sorted(tally.by_webhook.items()):
        print(
            f"  {path:<24} {len(latencies):>6} requests, "
            f"p50 {1000 * percentile(latencies, 0.50):.1f}, "
            f"p99 {1000 * percentile(latencies, 0.99):.1f}, "
            f"max {1000 * max(latencies):.1f}"
        )
    print("database: " + ", ".join(f"{k} {v}" for k, v in held.items()))
    for failure in tally.failures[:10]:
        print(f"  {failure}")
    consistent = (
        held["calls"] == options.callers
        and held["calls ended"] == tally.calls_done
        and held["recordings"] == tally.messages_left
    )
    if not consistent:
        print("the database does not match what the callers did")
    return 0 if failures == 0 and errors == 0 and consistent else 1


if __name__ == "__main__":
    sys.exit(main())
