"""Per-worker caches filled before a worker takes its first request.

Each package registers what its workers keep (`register_warmer`, from its `init_app`): the
guide's search indexes cost about a second of CPU a language to build, so without this the
first callers a new worker meets (after a deploy, a restart) wait for them. Gunicorn's
`post_worker_init` hook (`gunicorn.conf.py`) calls `warm_caches` when `WARM_CACHES` is on
(by default in production), before the worker takes a request.
What is filled is what a request would have filled: keyed the same way (the guide's
revision), so a change later is followed as before.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

WARMERS = "warm.caches"


def register_warmer(app: Flask, warmer: Callable[[], object]) -> None:
    """Have `warmer` (run in an app context) fill a per-worker cache when a worker starts."""
    app.extensions.setdefault(WARMERS, []).append(warmer)


def warm_caches(app: Flask, between: Callable[[], object] | None = None) -> int:
    """Fill every per-worker cache the packages registered; return how many warmers ran.

    `between` is called after each warmer: gunicorn's worker tells its master it is alive
    (a worker silent for longer than gunicorn's timeout is killed, even while it starts).
    """
    warmers: list[Callable[[], object]] = app.extensions.get(WARMERS, [])
    with app.app_context():
        for warmer in warmers:
            warmer()
            if between is not None:
                between()
    return len(warmers)
