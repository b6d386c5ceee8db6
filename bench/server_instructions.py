"""Count the server's own instructions per webhook: the WSGI callable driven in-process.

    PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=out.%p \\
        python bench/server_instructions.py --callgrind --scenario step --requests 120
    (the same with --requests 320; the difference of the two totals, / 200, is one request)

    python bench/server_instructions.py --scenario step --requests 320 --profile   # Python view

Unlike `profile_step.py`, no test client is in the loop: every request (`--prepare` of them,
the same number whatever `--requests` is, so that preparing cancels out of the difference) is
built beforehand as the WSGI environ gunicorn would give, signed like Twilio, with its body in
its own stream; the measured loop only calls the app and reads its answer. Scenarios:
`reference` (`bench/floor.py`'s stateful app: the signature, one upsert keyed by the CallSid,
its TwiML built), `voice` (`POST /ivr/voice`, a new call), `step` (`*` at the English main
menu). The database (its name must contain `bench`) is made afresh; `--root` imports the app
and the bench from another checkout (a `git archive` of the commit to compare with).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import secrets
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scenario", choices=("reference", "voice", "step"), default="step")
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
    parser.add_argument("--top", type=int, default=40, help="functions listed with --profile")
    parser.add_argument("--sort", default="tottime", help="pstats sort key")
    parser.add_argument("--callers", help="with --profile: who calls the functions matching this")
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_server"
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


def instrument(state: str) -> None:
    """Turn callgrind's instrumentation of this process on or off (it answers when done)."""
    subprocess.run(
        ["callgrind_control", "--instr=" + state, str(os.getpid())],
        check=True,
        capture_output=True,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Prepare the database and the requests, then send `--requests` of them to the app."""
    options = parse_arguments(argv)
    root = Path(options.root).resolve()
    sys.path.insert(0, str(root))
    os.chdir(root)
    from bench import calls, floor, webhooks  # noqa: PLC0415  # from the checkout measured
    from ivr.driver import ENTRY_PATH, FlaskTransport, sign  # noqa: PLC0415

    token = secrets.token_hex(16)
    env = webhooks.app_environment(options.database_url, token)
    webhooks.prepare_database(options.database_url, env).dispose()
    os.environ.update(env)
    from app import create_app  # noqa: PLC0415  # after the environment is set

    app: Any = create_app()
    rng = random.Random(1)
    signed: list[tuple[str, dict[str, str], str]] = []
    total = options.warm + options.prepare
    if options.scenario in ("voice", "reference"):
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
