"""CPU time spent by given processes, read from Linux's /proc (nothing on other systems).

Throughput on a shared machine moves with whatever else runs; the CPU a request costs
the server and the database does not, so the benchmark reports both.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _fields(pid: int) -> list[str] | None:
    """Return /proc/PID/stat after the command name (which may hold spaces), or None."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def group(leader: int) -> list[int]:
    """Return the processes of the process group led by `leader` (a gunicorn master and workers)."""
    members = []
    for entry in PROC.glob("[0-9]*"):
        fields = _fields(int(entry.name))
        if fields is not None and int(fields[2]) == leader:
            members.append(int(entry.name))
    return members


def sample(pids: Iterable[int]) -> dict[int, float]:
    """Return the user + system CPU seconds each living process has used so far."""
    used = {}
    for pid in pids:
        fields = _fields(pid)
        if fields is not None:
            used[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return used


def spent(before: Mapping[int, float], after: Mapping[int, float]) -> float:
    """Return the CPU seconds used between two samples (a process born in between counts whole)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
