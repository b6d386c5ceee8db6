"""Count the server's own instructions per webhook: the WSGI callable driven in-process.

    PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=out.%p \\
        python bench/server_instructions.py --callgrind --scenario step --requests 120
    (the same with --requests 320; the difference of the two totals, / 200, is one request)

    python bench/server_instructions.py --scenario step --requests 320 --profile   # Python view

    # a kind of the callers' mix: the calls walked natively, only the requests under callgrind
    python bench/server_instructions.py --scenario "feedback keys" --save kept.pickle
    PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no ... \\
        python bench/server_instructions.py --callgrind --load kept.pickle --requests 120

Unlike `profile_step.py`, no test client is in the loop: every request (`--prepare` of them,
the same number whatever `--requests` is, so that preparing cancels out of the difference) is
built beforehand as the WSGI environ gunicorn would give, signed like Twilio, with its body in
its own stream; the measured loop only calls the app and reads its answer. Scenarios:
`reference` (`bench/floor.py`'s stateful app: the signature, one upsert keyed by the CallSid,
its TwiML built), `voice` (`POST /ivr/voice`, a new call), `step` (`*` at the English main
menu), or a kind of webhook the callers of `bench/callers.py` send (`--census 300` lists them
with their share of the mix: `status`, `recording callback`, `queue wait`, and a step as
"<node> <input>", e.g. `language keys`, `guide speech`, `complaint recording`): each of those
requests is the first of its kind in one caller's walk, walked in-process up to it. The database (its name must contain `bench`) is made afresh; `--root` imports the app
and the bench from another checkout (a `git archive` of the commit to compare with).
The bench's centre is open every day at every hour (`--open-all-day`, the default: the
calendar's data, not the app's clock), so `0` queues its caller at any time of day;
`--no-open-all-day` keeps the seeded hours (08:00-20:00 on weekdays, Moroccan time).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pickle
import pstats
import random
import secrets
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--scenario",
        default="step",
        help="reference, voice, step, or a kind of the callers' mix (see --census)",
    )
    parser.add_argument(
        "--census",
        type=int,
        metavar="CALLERS",
        help="walk this many of bench/callers.py's callers in-process and print the mix's kinds",
    )
    parser.add_argument("--requests", type=int, default=320, help="webhooks measured")
    parser.add_argument("--prepare", type=int, default=320, help="webhooks built beforehand")
    parser.add_argument("--warm", type=int, default=40, help="webhooks sent before, unmeasured")
    parser.add_argument("--calls", type=int, default=40, help="calls brought to the main menu")
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--profile", action="store_true", help="cProfile the measured loop")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="under `valgrind --tool=callgrind --instr-atstart=no`: count the measured loop only",
    )
    parser.add_argument(
        "--save",
        type=Path,
        metavar="FILE",
        help="prepare the database and the requests, keep them in FILE and stop (run natively)",
    )
    parser.add_argument(
        "--load",
        type=Path,
        metavar="FILE",
        help="send the requests --save kept, on the database it prepared (under callgrind)",
    )
    parser.add_argument("--top", type=int, default=40, help="functions listed with --profile")
    parser.add_argument("--sort", default="tottime", help="pstats sort key")
    parser.add_argument("--callers", help="with --profile: who calls the functions matching this")
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_server"
    )
    parser.add_argument(  # as bench.webhooks.add_hours_argument: parsed before --root is imported
        "--open-all-day",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=(
            "open the bench's centre every day at every hour, so that `0` queues the caller "
            "whatever the time (--no-open-all-day: the seeded hours, 08:00-20:00 on weekdays)"
        ),
    )
    return parser.parse_args(argv)


def environ(path: str, form: dict[str, str], signature: str) -> dict[str, Any]:
    """Return the WSGI environ of a signed POST, as gunicorn gives it (its raw target too)."""
    body = urlencode(form).encode()
    script, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": script,
        "QUERY_STRING": query,
        "RAW_URI": path,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "HTTP_HOST": "localhost",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_TWILIO_SIGNATURE": signature,
        "HTTP_USER_AGENT": "TwilioProxy/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


class Captured(Exception):
    """The webhook wanted was reached: it is kept, not sent, and this caller stops."""


def kind_of(path: str, form: dict[str, str], node: str | None) -> str:
    """Name a webhook by its route, or for a step by the call's node and what the caller sent."""
    route = path.removeprefix("/ivr/")
    if route != "step":
        return "recording callback" if route == "recording" else route.replace("/", " ")
    if "SpeechResult" in form:
        sent = "speech"
    elif "RecordingSid" in form:
        sent = "recording"
    elif "QueueResult" in form:
        sent = "queue left"
    elif form.get("Digits"):
        sent = "keys" if node != "main" else "key " + form["Digits"]  # where the main menu leads
    else:
        sent = "nothing"
    return f"{node or '?'} {sent}"


def path_of(parts: Any) -> str:
    """Return a split URL's path with its query, as the request's target."""
    return parts.path + (f"?{parts.query}" if parts.query else "")


class MixTransport:
    """The test client, naming each webhook's kind; the first of `wanted` in a call is kept."""

    base_url = "http://localhost"

    def __init__(self, app: Any, database_url: str, wanted: str | None) -> None:
        """Call `app` as gunicorn would; read the calls' nodes with an engine of our own."""
        import sqlalchemy as sa  # noqa: PLC0415

        self.app = app
        self.engine = sa.create_engine(database_url)
        self.wanted = wanted
        self.kept: list[tuple[str, dict[str, str], str]] = []
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}  # the app's CPU time, by kind

    def node(self, call_sid: str) -> str | None:
        """Return the node the call is at, before the request moves it."""
        import sqlalchemy as sa  # noqa: PLC0415

        with self.engine.connect() as connection:
            return connection.scalar(
                sa.text("SELECT node FROM calls WHERE call_sid = :sid"), {"sid": call_sid}
            )

    def post(self, url: str, data: dict[str, str], headers: dict[str, str]) -> tuple[int, str, str]:
        """Count the webhook's kind; keep it instead of sending it if it is the one wanted."""
        parts = urlsplit(url)
        node = self.node(data.get("CallSid", "")) if parts.path == "/ivr/step" else None
        kind = kind_of(parts.path, data, node)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind == self.wanted:
            self.kept.append((path_of(parts), data, headers["X-Twilio-Signature"]))
            raise Captured
        answer: list[str] = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
            answer.extend([status, dict(headers).get("Content-Type", "")])

        one = environ(path_of(parts), data, headers["X-Twilio-Signature"])
        started = time.process_time()
        chunks = self.app(one, start_response)
        body = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        self.seconds[kind] = self.seconds.get(kind, 0.0) + time.process_time() - started
        return int(answer[0].split()[0]), answer[1], body.decode()


def walk_callers(
    transport: MixTransport, token: str, callers: int, wanted: int = 0, first: int = 0
) -> int:
    """Walk `bench/callers.py`'s callers (no think time) until `wanted` are kept; return how many."""
    from bench.callers import Caller, Tally  # noqa: PLC0415

    tally = Tally()
    index = 0
    for index in range(first, first + callers):  # noqa: B007
        if wanted and len(transport.kept) >= wanted:
            break
        caller = Caller(index, transport.base_url, token, tally, seed=1)
        caller.phone.transport = transport
        with contextlib.suppress(Captured):
            caller.walk(0.0, float("inf"))
    return index


def print_census(transport: MixTransport, callers: int) -> None:
    """Print each kind of webhook: its number per call, its share of the mix, its CPU time."""
    counts, seconds = transport.counts, transport.seconds
    total, cpu = sum(counts.values()), sum(seconds.values())
    print(f"{callers} callers, {total} webhooks, {total / callers:.2f} a call, ")
    print(f"the app's CPU {1000 * cpu / total:.2f} ms a webhook (process time, in-process)")
    print(f"  {'kind':<28} {'count':>6} {'a call':>6} {'share':>6} {'CPU ms':>7} {'of CPU':>6}")
    for kind, count in sorted(counts.items(), key=lambda item: -seconds.get(item[0], 0)):
        spent = seconds.get(kind, 0.0)
        print(
            f"  {kind:<28} {count:>6} {count / callers:6.2f} {100 * count / total:5.1f}% "
            f"{1000 * spent / count:7.2f} {100 * spent / cpu:5.1f}%"
        )


def instrument(state: str) -> None:
    """Turn callgrind's instrumentation of this process on or off (it answers when done)."""
    subprocess.run(
        ["callgrind_control", "--instr=" + state, str(os.getpid())],
        check=True,
        capture_output=True,
    )


def prepare(
    options: argparse.Namespace, app: Any, token: str
) -> list[tuple[str, dict[str, str], str]]:
    """Return the scenario's requests (path, form, signature), the calls brought to them first."""
    from bench import calls  # noqa: PLC0415  # from the checkout measured
    from ivr.driver import ENTRY_PATH, FlaskTransport, sign  # noqa: PLC0415

    rng = random.Random(1)
    signed: list[tuple[str, dict[str, str], str]] = []
    total = options.warm + options.prepare
    if options.census:
        census = MixTransport(app, options.database_url, None)
        walk_callers(census, token, 20, first=10**6)  # warm: caches, prompts, connections
        census.counts.clear()
        census.seconds.clear()
        walk_callers(census, token, options.census)
        print_census(census, options.census)
        return signed
    if options.scenario not in ("voice", "reference", "step"):
        mix = MixTransport(app, options.database_url, options.scenario)
        walked = walk_callers(mix, token, 20 * total, wanted=total)
        if len(mix.kept) < total:
            sys.exit(f"{walked} callers gave {len(mix.kept)} {options.scenario!r}, not {total}")
        signed.extend(mix.kept)
    elif options.scenario in ("voice", "reference"):
        for _ in range(total):
            form = calls._form(calls._new_sid(rng), calls.random_caller(rng))
            signed.append((ENTRY_PATH, form, sign(token, "http://localhost" + ENTRY_PATH, form)))
    else:
        transport = FlaskTransport(app)
        menus = []
        for _ in range(options.calls):
            who = (calls.random_caller(rng), calls._new_sid(rng))
            menus.append(calls.call_at_menu(transport, token, *who))
        for index in range(total):
            call = menus[index % len(menus)]
            path = call.action_at(call.step + index // len(menus))
            form = calls._form(call.call_sid, call.caller, Digits=calls.REPEAT_KEY)
            signed.append((path, form, sign(token, "http://localhost" + path, form)))
    return signed


def main(argv: Sequence[str] | None = None) -> None:
    """Prepare the database and the requests, then send `--requests` of them to the app."""
    options = parse_arguments(argv)
    root = Path(options.root).resolve()
    sys.path.insert(0, str(root))
    os.chdir(root)
    from bench import floor, webhooks  # noqa: PLC0415  # from the checkout measured

    if options.load is not None:
        with options.load.open("rb") as kept:
            token, env, signed = pickle.load(kept)  # noqa: S301  # our own file, just written
        os.environ.update(env)
        from app import create_app  # noqa: PLC0415  # after the environment is set

        app: Any = create_app()
    else:
        token = secrets.token_hex(16)
        env = webhooks.app_environment(options.database_url, token)
        engine = webhooks.prepare_database(options.database_url, env)
        if options.open_all_day:
            webhooks.open_all_day(engine)
        engine.dispose()
        os.environ.update(env)
        from app import create_app  # noqa: PLC0415  # after the environment is set

        app = create_app()
        signed = prepare(options, app, token)
        if options.census:
            return
    if options.save is not None:
        with options.save.open("wb") as keep:
            pickle.dump((token, env, signed), keep)
        return
    if options.scenario == "reference":
        floor.signed_app.config["TWILIO_AUTH_TOKEN"] = token
        floor.stateful_app.config["TWILIO_AUTH_TOKEN"] = token
        app = floor.stateful_app
        floor._database()
    environs = [environ(*request) for request in signed]
    answers: list[tuple[str, bytes]] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        answers.append((status, b""))

    def send(batch: list[dict[str, Any]]) -> None:
        for one in batch:
            chunks = app(one, start_response)
            body = b"".join(chunks)
            if hasattr(chunks, "close"):
                chunks.close()
            answers[-1] = (answers[-1][0], body)

    send(environs[: options.warm])
    answers.clear()
    measured = environs[options.warm : options.warm + options.requests]
    profile = cProfile.Profile(time.process_time) if options.profile else None
    if profile is not None:
        profile.enable()
    if options.callgrind:
        instrument("on")
    send(measured)
    if options.callgrind:
        instrument("off")
    if profile is not None:
        profile.disable()
    bad = [
        status
        for status, body in answers
        if not status.startswith("200") or b"technical problem" in body
    ]
    print(f"{options.scenario}: {len(answers)} requests, {len(bad)} not answered as expected")
    if answers:
        print(f"last answer ({len(answers[-1][1])} bytes): {answers[-1][1][:160]!r}")
    if profile is not None:
        stats = pstats.Stats(profile).sort_stats(options.sort)
        stats.print_stats(options.top)
        if options.callers:
            stats.print_callers(options.callers)


if __name__ == "__main__":
    main()
