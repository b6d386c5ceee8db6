"""Background jobs and the centre's schedule, on Huey.

One Huey instance for the process, bound to the app in `init_app`:

- `JOBS_URL=redis://...` (or, when it is empty, `REDIS_URL`): Redis, shared by every worker
  and web process (production, CI);
- empty and no Redis: an SQLite file beside the app's database (`instance/jobs.db`), so
  `make run` needs no other server;
- `immediate`: a job runs in the process that enqueues it, as soon as it is enqueued (the test
  suite's default, where no worker runs).

A job carries only small ids; what it works on is in the database, which decides (see
`centre.messaging`). Enqueueing is a wake-up call, never the only record: work whose wake-up
was lost (a process stopped between a commit and the enqueue, the broker down) is found again
by a scheduled sweep.

Scheduled work is registered by the packages that own it (`register_scheduled`, from their
`init_app`): the scheduler's one periodic job, `tick`, runs every minute and enqueues each
registered entry whose time (in the centre's time zone) has come.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from centre.clock import CENTRE_TZ, now
from centre.extensions import db

log = logging.getLogger(__name__)

SCHEDULE = "jobs.schedule"  # app.extensions key: the registered scheduled entries, by name

huey = Huey("callcentre", results=False, utc=True, storage_class=MemoryStorage)


class _Binding:
    """The app the jobs of this process run under (the last one bound)."""

    app: Flask | None = None


_bound = _Binding()


@dataclass(frozen=True)
class Scheduled:
    """A piece of work the scheduler runs at the times `due` accepts (centre's local time)."""

    name: str
    due: Callable[[datetime], bool]
    run: Callable[[], Any]
    label: str


def _app() -> Flask | None:
    """Return the app a job runs under: the enqueuing one (immediate mode), else the bound one."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    return _bound.app


def storage_for(url: str, name: str, instance_path: Path) -> Any:
    """Return the Huey storage that `url` names (see the module's docstring)."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage(name=name, url=url)
    if url.startswith("sqlite:///"):
        return SqliteStorage(name=name, filename=url[len("sqlite:///") :])
    if url in ("", "sqlite"):
        return SqliteStorage(name=name, filename=str(instance_path / "jobs.db"))
    raise ValueError(f"JOBS_URL must be redis://..., sqlite:///FILE or immediate, got {url!r}")


def init_app(app: Flask) -> None:
    """Bind the queue to the app's broker and let jobs of this process run under the app."""
    url = app.config["JOBS_URL"] or app.config.get("REDIS_URL") or ""
    name = (app.config.get("REDIS_PREFIX") or "") + "jobs"
    huey.immediate_use_memory = True
    if url == "immediate":
        huey.immediate = True
    else:
        huey.immediate = False
        huey.storage = storage_for(url, name, Path(app.instance_path))
    _bound.app = app
    app.extensions.setdefault(SCHEDULE, {})


def job(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Declare a job: `f.schedule(args=(...), delay=...)` or `f(...)` enqueues it.

    The job runs inside the bound app's context; `options` are Huey's (retries, ...).
    """

    def declare(function: Callable[..., Any]) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            app = _app()
            if app is None:
                raise RuntimeError("no app is bound to the job queue (centre.jobs.init_app)")
            with app.app_context():
                return function(*args, **kwargs)

        run.__name__ = function.__name__
        run.__qualname__ = function.__qualname__
        run.__doc__ = function.__doc__
        run.__module__ = function.__module__
        return huey.task(**options)(run)

    return declare


def enqueue(task: Any, *args: Any, delay: float | None = None) -> bool:
    """Enqueue `task(*args)` (after `delay` seconds); return False when the broker refused it.

    The caller's record of the work stays whatever happens here: a refused wake-up is logged
    and the scheduled sweep enqueues the work again.
    """
    try:
        if delay:
            task.schedule(args=args, delay=delay)
        else:
            task(*args)
    except Exception:
        log.exception("the job queue refused %s: the sweep will enqueue it again", task.name)
        return False
    return True


def register_scheduled(
    app: Flask, name: str, due: Callable[[datetime], bool], run: Callable[[], Any], label: str
) -> None:
    """Run `run()` as a job whenever `due(local time)` holds (`every(...)`, checked each minute).

    The job commits what `run()` leaves in the session, or rolls it back if it raised.
    """
    app.extensions.setdefault(SCHEDULE, {})[name] = Scheduled(name, due, run, label)


def every(**fields: str) -> Callable[[datetime], bool]:
    """Return a test of a local time against cron fields: `every(minute="0", hour="3")`."""
    return crontab(**fields)  # type: ignore[no-any-return,unused-ignore]


def scheduled(app: Flask) -> list[Scheduled]:
    """Return the scheduled entries of `app`, by name."""
    return sorted(app.extensions.get(SCHEDULE, {}).values(), key=lambda entry: entry.name)


def due_entries(app: Flask, at: datetime) -> list[Scheduled]:
    """Return the entries due at `at` (any aware time; compared in the centre's time zone)."""
    local = at.astimezone(CENTRE_TZ).replace(tzinfo=None, second=0, microsecond=0)
    return [entry for entry in scheduled(app) if entry.due(local)]


@job()
def run_scheduled(name: str) -> None:
    """Run the scheduled entry called `name`."""
    app = _app()
    entry = app.extensions.get(SCHEDULE, {}).get(name) if app else None
    if entry is None:
        log.warning("scheduled work %s is not registered in this process", name)
        return
    log.info("scheduled work %s starts", name)
    try:
        entry.run()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("scheduled work %s done", name)


@huey.periodic_task(crontab(), name="tick")
def tick() -> None:
    """Enqueue every scheduled entry due this minute (the scheduler runs this each minute)."""
    app = _bound.app
    if app is None:
        return
    with app.app_context():
        for entry in due_entries(app, now()):
            enqueue(run_scheduled, entry.name)


def run_worker(workers: int, scheduler: bool = True) -> None:
    """Run Huey's consumer in this process until it is stopped (SIGINT/SIGTERM)."""
    consumer = huey.create_consumer(
        workers=workers,
        periodic=scheduler,
        worker_type="thread",
        check_worker_health=True,
        max_delay=1.0,
    )
    consumer.run()


def run_ready(limit: int = 10_000) -> int:
    """Run, in this process, every job now waiting or due (tests and `flask jobs drain`).

    Return how many ran. Jobs scheduled later stay scheduled.
    """
    ran = 0
    while ran < limit:
        timestamp = huey._get_timestamp()
        for task in huey.read_schedule(timestamp):
            huey.enqueue(task)
        task = huey.dequeue()
        if task is None:
            break
        if huey.ready_to_run(task, timestamp):
            ran += 1
        huey.execute(task, timestamp)  # a job not yet due goes (back) to the schedule
    return ran


@dataclass(frozen=True)
class QueueDepth:
    """What the broker holds: jobs waiting to run now, and jobs scheduled for later."""

    waiting: int
    scheduled: int


def queue_depth() -> QueueDepth | None:
    """Return the broker's depth, or None when it cannot be read (down, or immediate mode)."""
    if huey.immediate:
        return None
    try:
        return QueueDepth(huey.pending_count(), huey.scheduled_count())
    except Exception:
        log.warning("the job queue could not be read")
        return None
