"""Gunicorn's settings for the centre: each worker fills its caches before its first request."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask

from centre.warming import warm_caches


def post_worker_init(worker: Any) -> None:
    """Warm the worker's caches (the guide's indexes) when the app's `WARM_CACHES` is on."""
    app = worker.wsgi
    if not isinstance(app, Flask) or not app.config.get("WARM_CACHES"):
        return
    started = time.process_time()
    count = warm_caches(app, between=worker.notify)
    worker.log.info("caches warm: %d in %.2f s", count, time.process_time() - started)
