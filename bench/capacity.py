"""Capacity: the most simultaneous callers one machine holds while people listen between keys.

    python bench/capacity.py [--levels 250,500,1000,1500,2000] [--think 5] [--seconds 40]

One gunicorn serves the app on PostgreSQL (the database dropped and created afresh). At each
level, that many callers (bench/callers.py's, threads spread over `--processes` processes) walk
the menus as people do, pausing `--think` seconds on average between keys, and place a new
call whenever theirs ends. After a warm-up of one think time, requests are timed for
`--seconds`, with the CPU used by gunicorn, by PostgreSQL and by the whole machine, and each
request's time inside its gunicorn worker (its access log: what is left of the callers' p99
is the listen queue and the callers' own processes). A level
is held when every request was answered 200 with playable TwiML (never the apology) and p99 is
under 100 ms. The centre is open every day at every hour (`--open-all-day`, the default: its
calendar is data), so a caller who asks for an agent is queued whatever the time of day the
run starts at; `--no-open-all-day` keeps the seeded hours. Prints the curve, saves it as JSON,
and as a PNG with `--plot` (matplotlib, the `bench` extra).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import secrets
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: import the app and bench as packages

from bench import cpu, servers  # noqa: E402
from bench.callers import SENTINEL_FALLBACK, Caller, Failure, Tally  # noqa: E402
from bench.database import add_database_argument, percentile  # noqa: E402
from bench.webhooks import (  # noqa: E402
    add_hours_argument,
    app_environment,
    backends,
    open_all_day,
    prepare_database,
)
from ivr.driver import TwimlError  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_capacity"
P99_LIMIT_MS = 100.0
TIME_UP = "the load test's time was up"


@dataclass(frozen=True)
class Level:
    """What one level of simultaneous callers got."""

    callers: int
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    worker_p50_ms: float  # the same requests' time inside a gunicorn worker (its access log)
    worker_p99_ms: float
    failures: int
    server_cpu: float  # cores used by gunicorn (master and workers) on average
    database_cpu: float  # cores used by the PostgreSQL backends
    machine_cpu: float  # cores busy on the whole machine (callers and other users included)
    held: bool


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="250,500,1000,1500,2000", help="callers per level")
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds between keys")
    parser.add_argument("--seconds", type=float, default=40.0, help="measured seconds per level")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--processes", type=int, default=2, help="caller processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-going", action="store_true", help="go on past the first miss")
    parser.add_argument("--plot", type=Path, help="write the curve as a PNG here")
    add_hours_argument(parser)
    add_database_argument(parser, DEFAULT_DATABASE_URL)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    options = parser.parse_args(argv)
    options.levels = [int(n) for n in options.levels.split(",")]
    if options.think < 5 or max(options.levels) > 5000:
        parser.error("--think of 5 s or more (callers who listen), at most 5000 callers")
    return options


def _callers(
    job: tuple[str, str, range, float, float, float, int],
) -> tuple[list[float], list[str]]:
    """Run callers `indexes` (one thread each) until `end`; time requests started after `measure_from`."""
    base_url, token, indexes, think, measure_from, end, seed = job
    tally = Tally()
    failures: list[str] = []
    kept: list[float] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        time.sleep(max(0.0, (index % len(indexes)) * think / len(indexes)))  # spread over a pause
        attempt = 0
        while time.time() < end:
            caller = Caller(index * 1000 + attempt, base_url, token, tally, seed)
            attempt += 1
            try:
                caller.walk(think, time.monotonic() + (end - time.time()))
            except (Failure, TwimlError) as exc:
                if TIME_UP not in str(exc):
                    with lock:
                        failures.append(f"caller {index}: {str(exc)[:200]}")

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in indexes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, end + 30 - time.time()))
    # A request's start is its end minus its latency; keep those started in the window.
    for started, latency in tally.timed:
        if measure_from <= started < end - think:
            kept.append(latency)
    return kept, failures


def _size(path: Path | None) -> int:
    """Return the size of the file at `path` (0 without one or before it is written)."""
    try:
        return path.stat().st_size if path else 0
    except FileNotFoundError:
        return 0


def _machine_busy() -> tuple[float, float]:
    """Return the machine's (busy, total) CPU seconds so far, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / cpu.TICKS, sum(fields) / cpu.TICKS


def measure(
    options: argparse.Namespace, server: servers.Gunicorn, engine: sa.Engine, count: int, token: str
) -> Level:
    """Run `count` callers for a warm-up pause plus the measured seconds; return their figures."""
    start = time.time()
    measure_from = start + 2 * options.think
    end = measure_from + options.seconds + options.think
    share = -(-count // options.processes)
    jobs = [
        (
            server.base_url,
            token,
            range(p * share, min(count, (p + 1) * share)),
            options.think,
            measure_from,
            end,
            options.seed,
        )
        for p in range(options.processes)
    ]
    # Spawned, not forked: a fork copies the locks the parent's threads (the last level's pool,
    # the database driver) hold at that moment, and a caller process once hung on one.
    context = multiprocessing.get_context("spawn")
    with context.Pool(options.processes) as pool:
        pending = pool.map_async(_callers, jobs)
        time.sleep(max(0.0, measure_from - time.time()))
        leader = server.process.pid if server.process else 0
        server_before, database_before = cpu.sample(cpu.group(leader)), cpu.sample(backends(engine))
        machine_before = _machine_busy()
        logged_from = _size(server.access_log)
        time.sleep(max(0.0, end - options.think - time.time()))
        logged_to = _size(server.access_log)
        server_used = cpu.spent(server_before, cpu.sample(cpu.group(leader)))
        database_used = cpu.spent(database_before, cpu.sample(backends(engine)))
        machine_after = _machine_busy()
        window = end - options.think - measure_from
        results = pending.get(timeout=end - time.time() + 120)
    latencies = [latency for kept, _ in results for latency in kept]
    failures = [failure for _, found in results for failure in found]
    for failure in failures[:5]:
        print(f"    {failure}")
    p99 = 1000 * percentile(latencies, 0.99)
    in_worker = (
        servers.worker_times(server.access_log, logged_from, logged_to) if server.access_log else []
    )
    return Level(
        callers=count,
        requests=len(latencies),
        rps=len(latencies) / window,
        p50_ms=1000 * percentile(latencies, 0.50),
        p90_ms=1000 * percentile(latencies, 0.90),
        p99_ms=p99,
        max_ms=1000 * max(latencies, default=0.0),
        worker_p50_ms=1000 * percentile(in_worker, 0.50),
        worker_p99_ms=1000 * percentile(in_worker, 0.99),
        failures=len(failures),
        server_cpu=server_used / window,
        database_cpu=database_used / window,
        machine_cpu=(machine_after[0] - machine_before[0]) / window,
        held=not failures and bool(latencies) and p99 < P99_LIMIT_MS,
    )


def plot(levels: Sequence[Level], path: Path, title: str) -> None:
    """Draw callers against p50/p99 latency (left) and CPU cores (right) as a PNG."""
    import matplotlib  # noqa: PLC0415 -- the optional `bench` extra, only for --plot

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: PLC0415

    callers = [level.callers for level in levels]
    figure, latency = pyplot.subplots(figsize=(7, 4), dpi=100)
    latency.plot(callers, [lv.p50_ms for lv in levels], "o-", label="p50 latency")
    latency.plot(callers, [lv.p99_ms for lv in levels], "s-", label="p99 latency")
    latency.plot(
        callers,
        [lv.worker_p99_ms for lv in levels],
        "s:",
        color="tab:purple",
        label="p99 inside a worker",
    )
    latency.axhline(P99_LIMIT_MS, color="grey", linestyle=":", label="p99 limit (100 ms)")
    latency.set_xlabel("simultaneous callers (5 s between keys)")
    latency.set_ylabel("latency (ms, log scale)")
    latency.set_yscale("log")
    cores = latency.twinx()
    cores.plot(
        callers,
        [lv.server_cpu for lv in levels],
        "^--",
        color="tab:green",
        label="gunicorn CPU (cores)",
    )
    cores.plot(
        callers,
        [lv.database_cpu for lv in levels],
        "v--",
        color="tab:red",
        label="PostgreSQL CPU (cores)",
    )
    cores.plot(
        callers,
        [lv.machine_cpu for lv in levels],
        "x:",
        color="black",
        label="whole machine (cores)",
    )
    cores.set_ylabel("CPU (cores of 2)")
    cores.set_ylim(0, 2.2)
    handles = latency.get_legend_handles_labels()
    more = cores.get_legend_handles_labels()
    latency.legend(handles[0] + more[0], handles[1] + more[1], fontsize=7, loc="center right")
    latency.set_title(title, fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Raise the number of callers level by level until one is not held; print the curve."""
    options = parse_arguments(argv)
    servers.stop_on_sigterm()
    token = secrets.token_hex(16)
    env = app_environment(options.database_url, token)
    env["FALLBACK_AGENT_NUMBER"] = SENTINEL_FALLBACK
    print("preparing the database", flush=True)
    engine = prepare_database(options.database_url, env)
    if options.open_all_day:
        open_all_day(engine)  # the working hours' path (`0` queues) at any time of day
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log = options.results / f"capacity-{stamp}.log"
    access_log = options.results / f"capacity-{stamp}-worker-times.log"
    levels: list[Level] = []
    try:
        with servers.Gunicorn(
            "app:create_app()", options.workers, env, ROOT, log, access_log
        ) as server:
            # Each worker builds its guide indexes before its first request (`gunicorn.conf.py`);
            # the callers' warm-up then fills what requests fill (catalogs, prompts, the pool).
            warm = server.wait_warm(servers.READY_SECONDS)
            print(f"{warm} of {options.workers} workers warm; warming up with callers", flush=True)
            warm_until = time.time() + 20
            _callers((server.base_url, token, range(40), 0.5, warm_until, warm_until, 7))
            for count in options.levels:
                print(f"{count} callers, {options.think:.0f} s between keys...", flush=True)
                level = measure(options, server, engine, count, token)
                levels.append(level)
                print(
                    f"  {level.rps:.0f} req/s, p50 {level.p50_ms:.1f} ms, "
                    f"p99 {level.p99_ms:.1f} ms (in a worker: p50 {level.worker_p50_ms:.1f}, "
                    f"p99 {level.worker_p99_ms:.1f}), failures {level.failures}, "
                    f"CPU gunicorn {level.server_cpu:.2f} PostgreSQL {level.database_cpu:.2f} "
                    f"machine {level.machine_cpu:.2f} cores: "
                    f"{'held' if level.held else 'NOT held'}",
                    flush=True,
                )
                if not level.held and not options.keep_going:
                    break
            errors = server.errors()
    finally:
        engine.dispose()
    held = [level.callers for level in levels if level.held]
    print(
        f"\nheld: {max(held) if held else 0} simultaneous callers "
        f"(p99 < {P99_LIMIT_MS:.0f} ms, every answer playable); server errors logged {errors}"
    )
    options.results.mkdir(parents=True, exist_ok=True)
    saved = options.results / f"capacity-{stamp}.json"
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(options).items()}
    saved.write_text(
        json.dumps({"options": settings, "levels": [asdict(lv) for lv in levels]}, indent=2)
    )
    print(f"saved {saved}")  # --results may be outside the repository
    if options.plot:
        title = (
            f"{options.workers} gunicorn workers, PostgreSQL, 2 shared cores, "
            f"{options.think:.0f} s think time, {options.seconds:.0f} s per level, "
            + ("centre open (0 queues)" if options.open_all_day else "seeded hours")
        )
        plot(levels, options.plot, title)
        print(f"plotted {options.plot}")
    return 0 if held and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
