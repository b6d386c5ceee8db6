"""A worker fills its per-worker caches when it starts, so its first callers wait for nothing."""

from __future__ import annotations

import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask

from centre import languages, settings
from centre.warming import WARMERS, warm_caches
from knowledge import search


def test_a_warmed_worker_builds_no_guide_index_for_its_first_callers(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    search._indexes.clear()  # a new worker: nothing built yet
    search._versions.clear()
    assert warm_caches(app) >= 1

    def built(*args: object, **kwargs: object) -> None:
        raise AssertionError("an index built for a caller: the worker was not warm")

    monkeypatch.setattr(search, "GuideIndex", built)
    with app.app_context():
        for code in languages.CODES:
            assert search.index_for(code).language == code


def test_workers_warm_their_caches_in_production_unless_turned_off() -> None:
    assert settings.from_environment({"APP_ENV": "production"})["WARM_CACHES"] is True
    assert (
        settings.from_environment({"APP_ENV": "production", "WARM_CACHES": "0"})["WARM_CACHES"]
        is False
    )
    assert settings.from_environment({})["WARM_CACHES"] is False


def test_gunicorns_worker_warms_the_app_and_reports_alive_between_warmers(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    ran: list[str] = []
    monkeypatch.setitem(app.extensions, WARMERS, [lambda: ran.append("a"), lambda: ran.append("b")])
    app.config["WARM_CACHES"] = True
    worker = SimpleNamespace(wsgi=app, notify=lambda: ran.append("alive"), log=logging.getLogger())
    hooks["post_worker_init"](worker)
    assert ran == ["a", "alive", "b", "alive"]
    ran.clear()
    app.config["WARM_CACHES"] = False
    hooks["post_worker_init"](worker)
    assert ran == []
