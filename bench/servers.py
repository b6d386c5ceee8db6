"""Start gunicorn on loopback for one measurement and always stop it afterwards."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

HOST = "127.0.0.1"
# Long enough for gunicorn's workers to warm their caches first (`gunicorn.conf.py`): about
# 11 s of CPU each for the guide's seven indexes, four workers sharing two cores.
READY_SECONDS = 120.0
WARM_LINE = "caches warm:"  # what `gunicorn.conf.py` logs when a worker has warmed its caches
STOP_SECONDS = 10.0


class ServerError(RuntimeError):
    """A server (gunicorn, the balancer) would not start, or died."""


def listening_socket() -> socket.socket:
    """Return a loopback socket already listening on a port of the kernel's choosing.

    Handed to a server process (gunicorn's `fd://`, HAProxy's `fd@`), the port is ours from the
    start: a port merely found free can be taken by anything else before the server binds it
    (another test run's server, side by side in CI), and our clients would talk to that one.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((HOST, 0))
    listener.listen(128)
    listener.set_inheritable(True)
    return listener


def gunicorn_command(
    target: str, bind: str, workers: int, access_log: Path | None = None
) -> list[str]:
    """Return the one gunicorn command line used for the floor and for the app alike.

    `bind` is gunicorn's: "127.0.0.1:8000", or "fd://5" for a socket it inherits. With
    `access_log`, each request is logged there as its time in the worker, in microseconds
    (from the request read to the answer sent: the listen queue before it is not counted).
    """
    timing = (
        [f"--access-logfile={access_log}", f"--access-logformat={ACCESS_LOG_FORMAT}"]
        if access_log
        else []
    )
    return [
        sys.executable,  # the interpreter running the benchmark (its venv, its packages)
        "-m",
        "gunicorn",
        f"--workers={workers}",
        f"--bind={bind}",
        "--log-level=info",  # each worker's "caches warm" line (`Gunicorn.wait_warm`)
        *timing,
        target,
    ]


ACCESS_LOG_FORMAT = "%(D)s"  # gunicorn's time in the worker, microseconds: one number a line


def worker_times(access_log: Path, start: int, end: int) -> list[float]:
    """Return the seconds each request logged between byte offsets `start` and `end` took."""
    with access_log.open("rb") as log:
        log.seek(start)
        lines = log.read(max(0, end - start)).splitlines()
    return [int(line) / 1e6 for line in lines if line.strip().isdigit()]


class Server(ABC):
    """A server in a process group of its own, started for a `with` block and always stopped.

    The server is handed a socket already listening on a loopback port the kernel chose
    (`port`); a subclass says how to start on it (`_command`, given the socket's descriptor),
    sets `log` (and `cwd`, `env` when it needs them), says how to tell that it serves
    (`_wait_until_ready`) and, with `quit_signal`, how to ask it to quit before its group is
    killed.
    """

    port = 0  # the kernel chooses it when the server starts
    log: Path
    cwd: Path | None = None
    env: dict[str, str] | None = None
    quit_signal: signal.Signals | None = None  # None: killed at once
    process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        """Start the server on a port of its own and wait until it serves."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        listener = listening_socket()
        self.port = int(listener.getsockname()[1])
        with listener, self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self._command(listener.fileno()),
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its own process group, so its children go with it
                pass_fds=(listener.fileno(),),
            )
        # Closed here, the server holds the port alone: once it is stopped, the port refuses.
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Stop the server, whatever happened inside the block."""
        self.stop()

    @abstractmethod
    def _command(self, descriptor: int) -> list[str]:
        """Return the command line that serves on the inherited socket `descriptor`."""

    @abstractmethod
    def _wait_until_ready(self) -> None:
        """Return once the server serves; raise ServerError if it died or never did."""

    def stop(self) -> None:
        """Ask the server to quit (if it has a way), then kill whatever is left of its group."""
        process = self.process
        if process is None:
            return
        if self.quit_signal is not None and process.poll() is None:
            process.send_signal(self.quit_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_SECONDS)
        # The group outlives its leader while any child does: leave none behind.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_SECONDS)
        self.process = None


class Gunicorn(Server):
    """A gunicorn master (and its workers) in a process group of its own, for a `with` block."""

    quit_signal = signal.SIGINT  # gunicorn's quick shutdown

    def __init__(
        self,
        target: str,
        workers: int,
        env: Mapping[str, str],
        cwd: Path,
        log: Path,
        access_log: Path | None = None,
    ) -> None:
        """Describe the server: `target` is gunicorn's "module:app" or "module:factory()".

        With `access_log`, every request's time in its worker is logged there
        (`worker_times` reads it back).
        """
        self.target = target
        self.access_log = access_log
        self.workers = workers
        self.env = dict(env)
        self.cwd = cwd
        self.log = log  # gunicorn's and the app's logs both go to stderr
        self.log_start = 0

    def __enter__(self) -> Self:
        """Start gunicorn; its log is appended to, so note where this run's lines begin."""
        self.log_start = self.log.stat().st_size if self.log.exists() else 0
        return super().__enter__()

    def wait_warm(self, seconds: float) -> int:
        """Wait until every worker has warmed its caches; return how many did in `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            with self.log.open("rb") as log:
                log.seek(self.log_start)
                warm = log.read().decode(errors="replace").count(WARM_LINE)
            if warm >= self.workers or time.monotonic() >= deadline:
                return warm
            time.sleep(0.5)

    def _command(self, descriptor: int) -> list[str]:
        return gunicorn_command(self.target, f"fd://{descriptor}", self.workers, self.access_log)

    @property
    def base_url(self) -> str:
        """Return the server's URL, as clients must sign it."""
        return f"http://{HOST}:{self.port}"

    @property
    def host(self) -> str:
        """Return the Host header clients send."""
        return f"{HOST}:{self.port}"

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ServerError(
                    f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.base_url + "/", timeout=2):  # noqa: S310
                    return
            except urllib.error.HTTPError:
                return  # any HTTP answer (404, 403...) means a worker is serving
            except OSError:
                time.sleep(0.1)
        raise ServerError(
            f"gunicorn did not answer within {READY_SECONDS:.0f} s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 20) -> str:
        """Return the end of the server's log."""
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def errors(self) -> int:
        """Return how many errors the server logged (tracebacks and ERROR lines)."""
        if not self.log.exists():
            return 0
        lines = self.log.read_text(errors="replace").splitlines()
        return sum(1 for line in lines if " ERROR " in line or line.startswith("Traceback"))


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so the `with` blocks that stop the servers unwind."""
    signal.signal(signal.SIGTERM, _exit_on_term)
