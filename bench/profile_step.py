"""Profile one kind of webhook in-process: where its CPU goes and how many waits on the database.

    python bench/profile_step.py --database-url postgresql+psycopg://postgres@127.0.0.1/x_bench
    python bench/profile_step.py --scenario voice --requests 2000 --top 40

The database is dropped and made afresh (its name must contain `bench`). `--calls` calls are
brought to the English main menu through the app (in-process, signed like Twilio), then
`--requests` webhooks of the scenario (`step`: `*` at the main menu; `guide`: `*` at the
guide's menu, which lists its topics; `voice`: a new call) go
through the Flask test client, outside any server, with cProfile on. `reference` sends the
new calls of `voice` to `bench/floor.py`'s stateful reference instead (the signature checked,
one upsert keyed by the CallSid, the main-menu lookalike built), in the same process and the
same way, so that its cost is read against the app's like for like. It prints the waits on
the database per request (statements, BEGIN, COMMIT, as the driver sends them), the wall and
CPU time per request, and the functions that cost the most. With `--no-profile`, no cProfile
(a clean CPU figure, or for `valgrind --tool=callgrind` which counts instructions repeatably).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import secrets
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg._connection_base import BaseConnection

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: import the app and bench as packages

from bench import calls, floor, webhooks  # noqa: E402
from bench.database import add_database_argument  # noqa: E402
from ivr.driver import ENTRY_PATH, FlaskTransport, sign  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_profile"
BASE = "http://localhost"
GUIDE_KEY = "1"  # the main menu's consular guide: `guide` repeats its menu


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenario", choices=("step", "guide", "voice", "reference"), default="step"
    )
    parser.add_argument("--calls", type=int, default=200, help="calls brought to the main menu")
    parser.add_argument("--requests", type=int, default=2000, help="webhooks profiled")
    parser.add_argument("--top", type=int, default=30, help="functions listed")
    parser.add_argument("--sort", default="tottime", help="pstats sort key")
    parser.add_argument("--no-profile", action="store_true", help="time only, no cProfile")
    add_database_argument(parser, DEFAULT_DATABASE_URL)
    return parser.parse_args(argv)


def prepared(options: argparse.Namespace, token: str, app: Any) -> list[tuple[str, dict, str]]:
    """Return the signed (path, form, signature) of every request to profile."""
    rng = random.Random(1)
    if options.scenario in ("voice", "reference"):
        out = []
        for _ in range(options.requests):
            form = calls._form(calls._new_sid(rng), calls.random_caller(rng))
            out.append((ENTRY_PATH, form, sign(token, BASE + ENTRY_PATH, form)))
        return out
    menus = []
    transport = FlaskTransport(app)
    keys = (GUIDE_KEY,) if options.scenario == "guide" else ()
    for _ in range(options.calls):
        who = (calls.random_caller(rng), calls._new_sid(rng))
        menus.append(calls.call_at_menu(transport, token, *who, *keys))
    out = []
    for index in range(options.requests):
        call = menus[index % len(menus)]
        path = call.action_at(call.step + index // len(menus))
        form = calls._form(call.call_sid, call.caller, Digits=calls.REPEAT_KEY)
        out.append((path, form, sign(token, BASE + path, form)))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Prepare the database and the requests, then profile the scenario."""
    options = parse_arguments(argv)
    token = secrets.token_hex(16)
    env = webhooks.app_environment(options.database_url, token)
    engine = webhooks.prepare_database(options.database_url, env)
    engine.dispose()
    os.environ.update(env)
    from app import create_app  # noqa: PLC0415  # after the environment is set

    app = create_app()
    requests = prepared(options, token, app)
    waits: Counter[str] = Counter()
    if options.scenario == "reference":
        floor.signed_app.config["TWILIO_AUTH_TOKEN"] = token  # the one its check reads
        app = floor.stateful_app
        floor._database()

    # What psycopg sends: statements through its cursors (SQLAlchemy's and `centre.statements`'
    # alike), BEGIN, COMMIT and ROLLBACK as its own commands, sent only when it needs them.
    execute = psycopg.Cursor.execute

    def statement(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        text = query if isinstance(query, str) else str(query)
        waits[text.split(None, 1)[0].upper()] += 1
        return execute(self, query, *args, **kwargs)

    exec_command = BaseConnection._exec_command

    def command(self: Any, text: Any, *args: Any, **kwargs: Any) -> Any:
        raw = text if isinstance(text, bytes) else str(text).encode()
        waits[raw.split(None, 1)[0].decode().upper()] += 1
        return exec_command(self, text, *args, **kwargs)

    psycopg.Cursor.execute = statement  # type: ignore[method-assign]  # counting only
    BaseConnection._exec_command = command  # type: ignore[method-assign]  # counting only
    client = app.test_client()
    for path, form, signature in requests[:50]:  # warm the caches and the pool
        client.post(path, data=form, headers={"X-Twilio-Signature": signature}, base_url=BASE)
    requests = requests[50:]
    waits.clear()
    # CPU time, not wall: waits on the database (on a shared machine) would drown the rest.
    profile = None if options.no_profile else cProfile.Profile(time.process_time)
    wall, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    bad = 0
    for path, form, signature in requests:
        answer = client.post(
            path, data=form, headers={"X-Twilio-Signature": signature}, base_url=BASE
        )
        bad += answer.status_code != 200 or b"technical problem" in answer.data
    if profile is not None:
        profile.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    count = len(requests)
    print(f"{options.scenario}: {count} requests, {bad} not answered as expected")
    print(f"per request: wall {wall / count * 1000:.3f} ms, CPU {cpu / count * 1000:.3f} ms")
    print(
        "database waits per request: "
        + ", ".join(f"{kind} {n / count:.2f}" for kind, n in waits.most_common())
    )
    if profile is not None:
        pstats.Stats(profile).sort_stats(options.sort).print_stats(options.top)


if __name__ == "__main__":
    main()
