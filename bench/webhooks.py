"""Measure the Twilio webhooks under gunicorn against a constant-TwiML floor, and print figures.

    python bench/webhooks.py [--duration 15] [--connections 32] [--workers 4]

Each scenario warmed up then measured with wrk on loopback: the floor and two references
(bench/floor.py: signed with no database; signed plus one statement), `POST /ivr/voice` for
new calls, a main-menu step (`*`), the stateful reference and the floor again. The headline
is each scenario's ratio to the stateful reference (the mean of its two measurements).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from datetime import time as dt_time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: import the app and bench as packages

from bench import calls, cpu, load, servers  # noqa: E402
from bench.database import add_database_argument  # noqa: E402
from bench.load import Figures  # noqa: E402
from centre import calendar  # noqa: E402
from centre.calendar import Closure, Holiday, OpeningHours  # noqa: E402
from centre.revisions import REVISIONS  # noqa: E402
from ivr.models import Call, CallerPreference, CallEvent  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
STATEFUL = "signed, one statement"
TARGET_RATIO = 0.8  # of the stateful reference's throughput, measured in the same run
HEADROOM = 1.3  # prepare this many times the requests the floor could take in the time


@dataclass(frozen=True)
class Cost:
    """CPU seconds spent during one wrk run, by side."""

    server: float  # the gunicorn master and workers
    database: float  # the PostgreSQL backends serving the bench database
    client: float  # wrk


@dataclass(frozen=True)
class Scenario:
    """One measured scenario and what the database says about it."""

    name: str
    figures: Figures
    cost: Cost
    errors: int  # errors the server logged during the measurement
    effective: int | None = None  # requests that did what they were meant to (rows, steps)
    note: str = ""
    may_repeat: bool = False  # sending a prepared request twice changes nothing (no database)
    floor: bool = False  # the constant document: the 100 % every share is read against
    reference: bool = False  # the stateful reference: what the app's ratios are read against


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per scenario")
    parser.add_argument("--connections", type=int, default=32, help="concurrent callers")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--calls", type=int, default=2000, help="calls at the main menu")
    parser.add_argument("--seed", type=int, default=1, help="seed for CallSids and numbers")
    add_database_argument(parser, DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--results", type=Path, default=ROOT / "bench" / "results", help="where to save JSON"
    )
    options = parser.parse_args(argv)
    if options.connections < options.threads:
        parser.error("--connections must be at least --threads")
    if options.calls // options.threads < 2 * math.ceil(options.connections / options.threads):
        parser.error("each wrk thread needs at least twice as many calls as connections")
    return options


def ensure_wrk() -> None:
    """Install wrk with apt-get if it is missing and we are root; fail plainly otherwise."""
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        raise SystemExit("wrk is not installed: apt-get install wrk (or brew install wrk)")
    print("installing wrk...", flush=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "wrk"], check=True, timeout=600, capture_output=True
    )


def app_environment(database_url: str, token: str) -> dict[str, str]:
    """Return the environment the app (and `flask setup`) run with: production, quiet."""
    env = dict(os.environ)
    env.update(
        APP_ENV="production",
        DATABASE_URL=database_url,
        TWILIO_AUTH_TOKEN=token,
        SECRET_KEY=secrets.token_hex(16),
        LOG_LEVEL="WARNING",
        PUBLIC_URL="https://centre.example.org",  # required in production; never called here
    )
    return env


def prepare_database(database_url: str, env: dict[str, str]) -> sa.Engine:
    """Create the database afresh (dropping any earlier one), then migrate and seed it."""
    url = sa.make_url(database_url)
    if not url.drivername.startswith("postgresql") or "bench" not in (url.database or ""):
        raise SystemExit(f"refusing {url.render_as_string()}: a PostgreSQL 'bench' database only")
    maintenance = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as connection:
            # A fresh database each run: same starting point, whatever the migrations became.
            name = maintenance.dialect.identifier_preparer.quote(url.database or "")
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
    finally:
        maintenance.dispose()
    setup = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "setup"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if setup.returncode != 0:
        raise SystemExit(f"flask setup failed:\n{setup.stderr[-2000:]}")
    return sa.create_engine(database_url)


def open_all_day(engine: sa.Engine) -> None:
    """Open the bench's centre every day at every hour: no holidays, no closures.

    The opening hours are data, so a bench measures the working hours' path (a caller who asks
    for an agent is queued, not offered a callback) whatever the time of day it runs at, with
    no clock changed in the app. Each weekday runs from 00:00 to the last microsecond of the
    day (a `time` has no 24:00). The calendar's revision is moved, as a supervisor's change
    would move it, so no worker keeps the hours it read before.
    """
    hours = OpeningHours.__table__
    with engine.begin() as connection:
        connection.execute(sa.delete(hours))
        connection.execute(
            sa.insert(hours),
            [{"weekday": day, "opens": dt_time.min, "closes": dt_time.max} for day in range(7)],
        )
        connection.execute(sa.delete(Holiday.__table__))
        connection.execute(sa.delete(Closure.__table__))
        connection.execute(
            sa.update(REVISIONS)
            .where(REVISIONS.c.name == calendar.REVISION)
            .values(token=secrets.token_hex(16))
        )


def add_hours_argument(parser: argparse.ArgumentParser) -> None:
    """Add --open-all-day (the default) and --no-open-all-day: the bench's centre's hours."""
    parser.add_argument(
        "--open-all-day",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=(
            "open the bench's centre every day at every hour, so that `0` queues the caller "
            "whatever the time (--no-open-all-day: the seeded hours, 08:00-20:00 on weekdays)"
        ),
    )


def analyse(engine: sa.Engine) -> None:
    """Refresh the planner's statistics after bulk changes, as autovacuum would in time."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for model in (Call, CallEvent, CallerPreference):
            connection.execute(sa.text(f"ANALYZE {model.__tablename__}"))


def backends(engine: sa.Engine | None) -> list[int]:
    """Return the process ids of the PostgreSQL backends connected to the bench database."""
    if engine is None:
        return []
    query = sa.text(
        "SELECT pid FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    with engine.connect() as connection:
        return list(connection.scalars(query))


def by_thread(requests: Sequence[bytes], threads: int) -> list[list[bytes]]:
    """Deal requests round-robin to the wrk threads."""
    return [list(requests[t::threads]) for t in range(threads)]


def budget(rps: float, seconds: int, connections: int) -> int:
    """Return how many requests to prepare for `seconds` at up to `rps`, with headroom."""
    return int(rps * seconds * HEADROOM) + 10 * connections


class Bench:
    """One run: a scratch directory, the options, and wrk runs against a server."""

    def __init__(self, options: argparse.Namespace, scratch: Path, token: str) -> None:
        """Remember the options, where request files go, and the Twilio token to sign with."""
        self.options = options
        self.token = token
        self.scratch = scratch
        self.rng = random.Random(options.seed)
        self.stamp = f"{datetime.now():%Y%m%d-%H%M%S}"  # names this run's logs and results

    def wrk(
        self,
        server: servers.Gunicorn,
        name: str,
        batches: list[list[bytes]],
        seconds: int,
        engine: sa.Engine | None = None,
    ) -> tuple[Figures, Cost, int]:
        """Replay `batches` (one per wrk thread) against `server`; measure CPU used, errors logged."""
        directory = self.scratch / name
        load.write_batches(directory, batches)
        leader = server.process.pid if server.process else 0
        server_before = cpu.sample(cpu.group(leader))
        database_before = cpu.sample(backends(engine))
        client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        errors_before = server.errors()
        figures = load.run(
            server.base_url + "/",
            directory,
            self.options.threads,
            self.options.connections,
            seconds,
        )
        client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cost = Cost(
            server=cpu.spent(server_before, cpu.sample(cpu.group(leader))),
            database=cpu.spent(database_before, cpu.sample(backends(engine))),
            client=(client_after.ru_utime + client_after.ru_stime)
            - (client_before.ru_utime + client_before.ru_stime),
        )
        shutil.rmtree(directory, ignore_errors=True)
        return figures, cost, server.errors() - errors_before

    def floor(
        self,
        env: dict[str, str],
        name: str,
        target: str = "bench.floor:app",
        engine: sa.Engine | None = None,
    ) -> Scenario:
        """Measure a reference app of bench/floor.py under the same gunicorn command."""
        options = self.options
        log = self.options.results / f"webhooks-{self.stamp}-floor.log"
        with servers.Gunicorn(target, options.workers, env, ROOT, log) as server:
            # The floor ignores what it is sent, so a small set of requests can go round.
            requests = by_thread(
                calls.voice_requests(server.host, self.token, 2000, self.rng), options.threads
            )
            if options.warmup:
                self.wrk(server, "floor-warmup", requests, options.warmup)
            figures, cost, errors = self.wrk(server, "floor", requests, options.duration, engine)
        constant = target == "bench.floor:app"
        stateful = target == "bench.floor:stateful_app"
        return Scenario(
            name, figures, cost, errors, may_repeat=True, floor=constant, reference=stateful
        )

    def app(self, env: dict[str, str], engine: sa.Engine, floor_rps: float) -> list[Scenario]:
        """Measure new calls and main-menu steps on the app, checking each in the database."""
        options = self.options
        warm_calls = max(200, 4 * options.connections)
        log = self.options.results / f"webhooks-{self.stamp}-app.log"
        with servers.Gunicorn("app:create_app()", options.workers, env, ROOT, log) as server:
            started = time.monotonic()
            menu_calls = calls.open_main_menus(
                server.base_url, self.token, options.calls + warm_calls, self.rng
            )
            elapsed = time.monotonic() - started
            print(f"  {len(menu_calls)} calls brought to the main menu in {elapsed:.0f} s")
            analyse(engine)
            voice = self.voice(server, engine, floor_rps)
            step = self.step(
                server, engine, menu_calls[:warm_calls], menu_calls[warm_calls:], floor_rps
            )
        return [voice, step]

    def voice(self, server: servers.Gunicorn, engine: sa.Engine, floor_rps: float) -> Scenario:
        """Measure `POST /ivr/voice` for calls never seen before; count the rows created."""
        options = self.options
        threads, connections = options.threads, options.connections
        if options.warmup:
            count = budget(floor_rps, options.warmup, connections)
            batches = by_thread(
                calls.voice_requests(server.host, self.token, count, self.rng), threads
            )
            self.wrk(server, "voice-warmup", batches, options.warmup)
        count = budget(floor_rps, options.duration, connections)
        batches = by_thread(calls.voice_requests(server.host, self.token, count, self.rng), threads)
        before = calls.count_calls(engine)
        figures, cost, errors = self.wrk(server, "voice", batches, options.duration, engine)
        time.sleep(0.5)  # let what was in flight when wrk stopped finish before counting
        created = calls.count_calls(engine) - before
        note = (
            f"{created} call rows created for {sum(figures.sent)} requests started, "
            f"{figures.requests} answered"
        )
        return Scenario("POST /ivr/voice (new call)", figures, cost, errors, created, note)

    def step(
        self,
        server: servers.Gunicorn,
        engine: sa.Engine,
        warm: Sequence[calls.MenuCall],
        measured: Sequence[calls.MenuCall],
        floor_rps: float,
    ) -> Scenario:
        """Measure `*` at the main menu; count in the database the steps really applied."""
        options = self.options
        threads, connections = options.threads, options.connections
        if options.warmup:
            per_call = math.ceil(budget(floor_rps, options.warmup, connections) / len(warm))
            batches = calls.step_batches(server.host, self.token, warm, threads, per_call)
            self.wrk(server, "step-warmup", batches, options.warmup)
        per_call = math.ceil(budget(floor_rps, options.duration, connections) / len(measured))
        batches = calls.step_batches(server.host, self.token, measured, threads, per_call)
        sids = [call.call_sid for call in measured]
        before = calls.current_steps(engine, sids)
        figures, cost, errors = self.wrk(server, "step", batches, options.duration, engine)
        time.sleep(0.5)
        after = calls.current_steps(engine, sids)
        applied = sum(after[sid] - before[sid] for sid in sids)
        started, answered = sum(figures.sent), figures.requests
        # wrk drops what is in flight when time is up, so a request started but not applied
        # is either one of those or a replay answered by re-rendering: give both bounds.
        note = (
            f"{applied} steps applied for {started} requests started, {answered} answered: "
            f"replays among the answered between {max(0, answered - applied)} "
            f"and {started - applied}"
        )
        return Scenario("main-menu step (*)", figures, cost, errors, applied, note)


def report(scenarios: Sequence[Scenario], options: argparse.Namespace) -> bool:
    """Print the table and the checks; return whether the measurement is valid."""
    floors = [s.figures.rps for s in scenarios if s.floor]
    floor = sum(floors) / len(floors)
    print()
    print(
        f"{options.connections} connections, {options.workers} gunicorn workers, "
        f"{options.duration} s each, wrk {options.threads} threads, loopback, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'':<28} {'':>6} {'':>6} {'':>6} {'':>6} {'':>6} {'':>6} {'':>5}"
        f" {'CPU ms per request':^20}"
    )
    print(
        f"{'scenario':<28} {'req/s':>6} {'p50 ms':>6} {'p90 ms':>6} {'p99 ms':>6} {'max ms':>6}"
        f" {'%floor':>6} {'B/rsp':>5} {'server':>6} {'db':>6} {'wrk':>6}"
    )
    for scenario in scenarios:
        f, cost = scenario.figures, scenario.cost
        per = 1000 / f.requests if f.requests else 0.0
        print(
            f"{scenario.name:<28} {f.rps:>6.0f} {f.p50_ms:>6.1f} {f.p90_ms:>6.1f} {f.p99_ms:>6.1f}"
            f" {f.max_ms:>6.0f} {100 * f.rps / floor:>5.0f}% {f.bytes_per_response:>5.0f}"
            f" {cost.server * per:>6.2f} {cost.database * per:>6.2f} {cost.client * per:>6.2f}"
        )
    print()
    if len(floors) > 1 and (max(floors) - min(floors)) > 0.15 * floor:
        print(
            "- the floor moved by more than 15% during the run: the machine is busy, figures are noisy"
        )
    valid = True
    for scenario in scenarios:
        f = scenario.figures
        problems = []
        if f.non_2xx:
            problems.append(f"{f.non_2xx} non-2xx answers")
        if f.socket_errors:
            problems.append(f"{f.socket_errors} socket errors or timeouts")
        if f.wrapped and not scenario.may_repeat:
            problems.append("ran out of prepared requests and replayed some")
        if scenario.errors:
            problems.append(f"{scenario.errors} errors in the server's log")
        if scenario.effective is not None and f.requests > scenario.effective:
            # Answered but never applied: replays re-rendered, which would flatter the figures.
            problems.append(f"{f.requests - scenario.effective} answers did nothing")
        valid = valid and not problems
        fine = "all answers 2xx, no socket errors, no errors logged"
        print(f"- {scenario.name}: " + "; ".join(problems or [fine]))
        if scenario.note:
            print(f"  {scenario.note}")
    references = [s.figures.rps for s in scenarios if s.reference]
    reference = sum(references) / len(references) if references else 0.0
    if len(references) > 1 and (max(references) - min(references)) > 0.15 * reference:
        print("- the stateful reference moved by more than 15% during the run: ratios are noisy")
    print(
        f"\nthe stateful reference ({STATEFUL}, mean of {len(references)}): {reference:.0f} req/s,"
        f" {reference / floor:.0%} of the floor"
    )
    for scenario in scenarios:
        if scenario.may_repeat or not reference:
            continue
        ratio = scenario.figures.rps / reference
        verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
        print(
            f"RATIO {scenario.name}: {ratio:.2f} of the stateful reference"
            f" ({verdict} the target of {TARGET_RATIO:.2f}; p99 {scenario.figures.p99_ms:.1f} ms)"
        )
    return valid


def save(scenarios: Sequence[Scenario], options: argparse.Namespace, stamp: str) -> Path:
    """Write the run's options and figures as JSON under the results directory."""
    options.results.mkdir(parents=True, exist_ok=True)
    path = options.results / f"webhooks-{stamp}.json"
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(options).items()}
    runs = [asdict(s) | {"rps": s.figures.rps} for s in scenarios]
    references = [s.figures.rps for s in scenarios if s.reference]
    reference = sum(references) / len(references)
    for run, scenario in zip(runs, scenarios, strict=True):
        if not scenario.may_repeat:
            run["ratio_to_stateful_reference"] = scenario.figures.rps / reference
    path.write_text(json.dumps({"options": settings, "scenarios": runs}, indent=2))
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Run the floor, the references, the app's scenarios, the stateful reference and floor again."""
    options = parse_arguments(argv)
    servers.stop_on_sigterm()
    ensure_wrk()
    token = secrets.token_hex(16)  # the app's TWILIO_AUTH_TOKEN for this run only
    env = app_environment(options.database_url, token)
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as scratch:
        bench = Bench(options, Path(scratch), token)
        print("floor: bench/floor.py", flush=True)
        before = bench.floor(env, "floor, before (constant)")
        print(f"  {before.figures.rps:.0f} req/s", flush=True)
        print("reference: a signed webhook building its TwiML, no database", flush=True)
        signed = bench.floor(env, "signed, no database", "bench.floor:signed_app")
        print("app: preparing the database", flush=True)
        engine = prepare_database(options.database_url, env)
        try:
            print("reference: the signed webhook plus one statement on the call's row", flush=True)
            stateful = bench.floor(env, f"{STATEFUL}, before", "bench.floor:stateful_app", engine)
            print("app: POST /ivr/voice and main-menu steps", flush=True)
            measured = bench.app(env, engine, before.figures.rps)
            print("reference again, so that the ratios do not lean on the load's drift", flush=True)
            stateful_after = bench.floor(
                env, f"{STATEFUL}, after", "bench.floor:stateful_app", engine
            )
        finally:
            engine.dispose()
        print("floor again, to see whether the machine's load moved", flush=True)
        after = bench.floor(env, "floor, after (constant)")
    scenarios = [before, signed, stateful, *measured, stateful_after, after]
    valid = report(scenarios, options)
    path = save(scenarios, options, bench.stamp)
    print(f"\nsaved {path} (server logs next to it)")  # --results may be anywhere
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
