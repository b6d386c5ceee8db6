"""Drive wrk on loopback with pre-built, signed requests and read its figures back."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

SCRIPT = Path(__file__).resolve().with_name("replay.lua")
MARKER = "BENCH "


class LoadError(RuntimeError):
    """wrk is missing, failed, or printed no figures."""


@dataclass(frozen=True)
class Figures:
    """What one wrk run measured."""

    requests: int
    seconds: float
    bytes: int
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    sent: tuple[int, ...]  # requests started by each wrk thread, answered or not
    wrapped: bool  # a thread ran out of prepared requests and sent some twice

    @property
    def rps(self) -> float:
        """Return the answered requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def bytes_per_response(self) -> float:
        """Return the mean size of a response, headers included."""
        return self.bytes / self.requests if self.requests else 0.0


def raw_request(host: str, path: str, form: Mapping[str, str], signature: str) -> bytes:
    """Return the bytes of a Twilio-like webhook POST, ready to write to the socket."""
    body = urlencode(form).encode()
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "User-Agent: TwilioProxy/1.1\r\n"
        f"X-Twilio-Signature: {signature}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode() + body


def write_batches(directory: Path, batches: Sequence[Sequence[bytes]]) -> None:
    """Write one file of NUL-separated requests per wrk thread, as replay.lua reads them."""
    directory.mkdir(parents=True, exist_ok=True)
    for index, batch in enumerate(batches):
        if not batch:
            raise LoadError(f"thread {index} has no requests")
        (directory / f"{index}.req").write_bytes(b"\0".join(batch))


def run(url: str, directory: Path, threads: int, connections: int, seconds: int) -> Figures:
    """Run wrk against `url` for `seconds`, each thread replaying its file from `directory`.

    Each connection sends its next request as soon as the last is answered (a closed loop):
    no think time, because wrk would open the connection first and then wait, which holds
    a gunicorn sync worker hostage for the whole pause.
    """
    if shutil.which("wrk") is None:
        raise LoadError("wrk is not installed")
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=5s",
        f"--script={SCRIPT}",
        url,
        "--",
        str(directory),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise LoadError(f"wrk did not finish within {seconds + 60} s") from exc
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARKER)), None)
    if done.returncode != 0 or line is None:
        raise LoadError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
    raw = json.loads(line[len(MARKER) :])
    return Figures(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        bytes=raw["bytes"],
        non_2xx=raw["non_2xx"],
        socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        sent=tuple(raw["sent"]),
        wrapped=raw["wrapped_threads"] > 0,
    )
