"""Hostile bodies on the webhooks: what refusing one costs, and what two attackers do to calls.

    python bench/hostile.py [--database-url postgresql+psycopg://...bench...] [--seconds 10]
                            [--workers 2] [--calls 40] [--root PATH]

gunicorn serves the app on loopback (production settings, PostgreSQL), as bench/webhooks.py
does. The script measures, over plain sockets:

1. the time to refuse one hostile body (an unsigned 1 MiB urlencoded POST of 110,000 fields;
   a multipart POST of 1,500 parts), from the first byte sent to the status line read;
2. real calls' steps (`*` at the main menu, signed, four callers back to back): p50 and p99,
   alone, then while two attackers send hostile 1 MiB bodies in a loop.

`--root` serves the app from another checkout (e.g. an older commit unpacked with
`git archive`), to measure the same figures before a change.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: import the app and bench as packages

from bench import servers  # noqa: E402
from bench.calls import DIALLED, MenuCall, open_main_menus  # noqa: E402
from bench.database import percentile  # noqa: E402
from bench.webhooks import app_environment, prepare_database  # noqa: E402
from ivr.driver import HttpTransport, PhoneCall  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_hostile"
CALLERS = 4  # real callers stepping back to back
ATTACKERS = 2


def _fields(count: int, size: int) -> bytes:
    value = "v" * max(1, size // count - 8)
    return "&".join(f"f{i}={value}" for i in range(count)).encode()


def hostile_requests(host: str) -> dict[str, bytes]:
    """Return the raw hostile requests, by name: unsigned (a forged signature), never Twilio."""
    urlencoded = _fields(110_000, 1024 * 1024 - 1024)
    boundary = "hostile"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nv\r\n'
        for i in range(1_500)
    )
    multipart = (parts + f"--{boundary}--\r\n").encode()

    def raw(body: bytes, content_type: str) -> bytes:
        head = (
            f"POST /ivr/voice HTTP/1.1\r\nHost: {host}\r\nX-Twilio-Signature: forged\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        return head.encode() + body

    return {
        "1 MiB, 110,000 fields": raw(urlencoded, "application/x-www-form-urlencoded"),
        "1,500 multipart parts": raw(multipart, f"multipart/form-data; boundary={boundary}"),
    }


def refuse(port: int, request: bytes) -> tuple[float, str]:
    """Send one hostile request; return the seconds until its status line, and the status."""
    started = time.perf_counter()
    with socket.create_connection((servers.HOST, port), timeout=30) as sock:
        with contextlib.suppress(OSError):  # it may answer and close before the body is sent
            sock.sendall(request)
        reply = b""
        with contextlib.suppress(OSError):
            while b"\r\n" not in reply:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
    elapsed = time.perf_counter() - started
    status = reply.split(b"\r\n", 1)[0].decode(errors="replace")
    return elapsed, status.split(" ", 2)[1] if " " in status else "reset"


def refusal_times(port: int, request: bytes, count: int) -> tuple[list[float], set[str]]:
    """Refuse `request` `count` times in a row; return the times (ms) and the statuses seen."""
    times, statuses = [], set()
    for _ in range(count):
        elapsed, status = refuse(port, request)
        times.append(elapsed * 1000)
        statuses.add(status)
    return times, statuses


def phones_at_the_main_menu(
    base_url: str, token: str, menus: Sequence[MenuCall]
) -> list[PhoneCall]:
    """Return a driver per call, holding the TwiML of the main menu it stands at."""
    phones = []
    for menu in menus:
        phone = PhoneCall(
            HttpTransport(base_url), token, caller=menu.caller, to=DIALLED, call_sid=menu.call_sid
        )
        phone.request(menu.action_at(menu.step), Digits="*")  # untimed: where the call stands
        phones.append(phone)
    return phones


def step_times(phones: Sequence[PhoneCall], seconds: float, failed: list[int]) -> list[float]:
    """Have CALLERS callers press `*` at the main menu back to back; return each step's ms.

    A step that fails (an error, or no answer within HttpTransport's 10 s) is noted in `failed`.
    """
    times: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def caller(own: Sequence[PhoneCall]) -> None:
        index = 0
        while time.monotonic() < stop:
            phone = own[index % len(own)]
            started = time.perf_counter()
            try:
                phone.press("*")
            except Exception:  # noqa: BLE001 (a step that failed or timed out still counts)
                failed.append(1)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                times.append(elapsed)
            index += 1

    threads = [threading.Thread(target=caller, args=(phones[i::CALLERS],)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def attack(port: int, request: bytes, stop: threading.Event, sent: list[int]) -> None:
    """Send `request` back to back until `stop` is set."""
    while not stop.is_set():
        refuse(port, request)
        sent.append(1)


def line(label: str, values: Sequence[float]) -> str:
    """Return one row of the printed table."""
    return (
        f"| {label} | {len(values)} | {statistics.median(values):.1f} ms"
        f" | {percentile(values, 0.99):.1f} ms | {max(values):.1f} ms |"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the app, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement of steps")
    parser.add_argument("--refusals", type=int, default=100, help="hostile bodies timed")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--calls", type=int, default=40, help="calls at the main menu")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout the app is served from")
    options = parser.parse_args(argv)

    token = secrets.token_hex(16)
    env = app_environment(options.database_url, token)
    prepare_database(options.database_url, env).dispose()
    log = Path(tempfile.mkdtemp(prefix="bench-hostile-")) / "gunicorn.log"
    with servers.Gunicorn("app:create_app()", options.workers, env, options.root, log) as server:
        menus = open_main_menus(server.base_url, token, options.calls, random.Random(7))
        rows = []
        requests = hostile_requests(server.host)
        for name, request in requests.items():
            times, statuses = refusal_times(server.port, request, options.refusals)
            rows.append(line(f"refusing {name} (status {', '.join(sorted(statuses))})", times))
        failed: list[int] = []
        phones = phones_at_the_main_menu(server.base_url, token, menus)
        alone = step_times(phones, options.seconds, failed)
        rows.append(line(f"a real step, {CALLERS} callers ({len(failed)} failed)", alone))
        failed.clear()
        stop, sent = threading.Event(), []
        attackers = [
            threading.Thread(
                target=attack, args=(server.port, requests["1 MiB, 110,000 fields"], stop, sent)
            )
            for _ in range(ATTACKERS)
        ]
        for attacker in attackers:
            attacker.start()
        try:
            attacked = step_times(phones, options.seconds, failed)
        finally:
            stop.set()
            for attacker in attackers:
                attacker.join()
        rows.append(
            line(
                f"a real step, {ATTACKERS} attackers looping ({len(sent)} bodies, "
                f"{len(failed)} steps failed)",
                attacked,
            )
        )
        errors = server.errors()
    print(f"gunicorn --workers={options.workers}, app from {options.root}")
    print("| what | n | p50 | p99 | max |\n|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"errors logged by the server: {errors}")


if __name__ == "__main__":
    main()
