"""The wallboard's words: the live floor as the texts the page shows, in the reader's language.

The page and its JSON refresh both come from `cells`, `alert_texts` and `agent_rows`, so
what the page shows at first and what the refresh writes over it are the same words.
"""

from __future__ import annotations

from typing import Any

from babel.dates import format_time
from babel.lists import format_list
from babel.numbers import format_percent
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from centre import languages
from centre.clock import CENTRE_TZ, to_storage
from centre.formatting import page_locale, page_number
from reports.floor import STAGES, AgentFigures, Alert, Floor

STAGE_NAMES = {
    "menu": _l("In the menu"),
    "guide": _l("Consular guide"),
    "case": _l("Case status"),
    "queue": _l("Waiting for an agent"),
    "agent": _l("With an agent"),
}
AGENT_STATES = {
    "available": _l("Available"),
    "on_call": _l("On a call"),
    "away": _l("Away"),
}
LANGUAGE_COLUMNS = (
    ("waiting", _l("Callers waiting")),
    ("longest", _l("Longest wait")),
    ("target", _l("Wait target")),
    ("available", _l("Agents available")),
    ("on_call", _l("On a call")),
    ("away", _l("Away")),
    ("callbacks", _l("Callbacks due in the next hour")),
)
OUTBOX_CELLS = (
    ("outbox.queued", _l("Waiting to be sent")),
    ("outbox.retrying", _l("To be tried again")),
    ("outbox.failed_today", _l("Not delivered today")),
    ("outbox.oldest", _l("Oldest waiting for")),
)
AGENT_COLUMNS = (
    _l("Agent"),
    _l("Now"),
    _l("Languages"),
    _l("Tickets handled"),
    _l("Calls taken"),
    _l("Average handling time"),
    _l("Callbacks reached"),
    _l("Satisfaction"),
)


def duration(seconds: float | None) -> str:
    """Return a duration as minutes and seconds, "4:05", or a dash when there is none."""
    if seconds is None:
        return "–"
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def share(value: float | None, empty: str) -> str:
    """Return a share as a percentage in the page's language, or `empty` without data."""
    if value is None:
        return empty
    return format_percent(value, locale=page_locale())


def words_class(text: str) -> Markup:
    """Return the class of a headline that says something in words rather than a figure."""
    return Markup("") if text[:1].isdigit() else Markup(' class="words"')


def cells(floor: Floor) -> dict[str, str]:
    """Return every figure of the wallboard as text, keyed by where it goes on the page."""
    top = floor.headline
    none_yet = gettext("no calls yet")
    found = {
        "calls": page_number(top.calls),
        "self_service": share(top.self_service, none_yet),
        "abandonment": share(top.abandonment, gettext("no one queued yet")),
        "within_target": share(top.within_target, gettext("no one queued yet")),
        "satisfaction": share(top.satisfaction, gettext("no answers yet")),
        "breached": page_number(floor.breached_today),
        "updated": gettext(
            "Updated at %(time)s",
            time=format_time(floor.moment, "HH:mm:ss", tzinfo=CENTRE_TZ, locale=page_locale()),
        ),  # seconds: it is live
    }
    for stage in STAGES:
        found[f"stage.{stage}"] = page_number(floor.stages[stage])
    found |= outbox_cells(floor)
    for line in floor.languages:
        code = line.code
        found |= {
            f"{code}.waiting": page_number(line.waiting),
            f"{code}.longest": duration(line.longest_wait),
            f"{code}.target": duration(line.target),
            f"{code}.available": page_number(line.available),
            f"{code}.on_call": page_number(line.on_call),
            f"{code}.away": page_number(line.away),
            f"{code}.callbacks": page_number(line.callbacks_due),
        }
        for stage in STAGES:
            found[f"{code}.stage.{stage}"] = page_number(line.stages[stage])
    return found


def outbox_cells(floor: Floor) -> dict[str, str]:
    """Return the backlog of texts and calls still to send, and today's failures, as text."""
    outbox = floor.outbox
    if outbox is None:
        return {key: "–" for key, _ in OUTBOX_CELLS}
    oldest = outbox.oldest_waiting
    waited = (to_storage(floor.moment) - oldest).total_seconds() if oldest else None
    return {
        "outbox.queued": page_number(outbox.queued + outbox.sending),
        "outbox.retrying": page_number(outbox.retrying),
        "outbox.failed_today": page_number(outbox.failed_today),
        "outbox.oldest": duration(max(waited, 0) if waited is not None else None),
    }


def alert_text(alert: Alert) -> str:
    """Return an alert as the sentence a supervisor reads."""
    name = languages.name_in(alert.language, page_locale()) if alert.language else ""
    if alert.kind == "wait_over_target":
        return gettext(
            "%(language)s: the longest wait is %(wait)s, over the target of %(target)s.",
            language=name,
            wait=duration(alert.seconds),
            target=duration(alert.target),
        )
    if alert.kind == "no_agent":
        return gettext(
            "%(language)s: no agent available, callers waiting: %(count)s.",
            language=name,
            count=page_number(alert.count),
        )
    if alert.kind == "outbox_failed":
        return gettext(
            "Texts or calls not delivered today: %(count)s.", count=page_number(alert.count)
        )
    return gettext(
        "Tickets past their deadline today without an answer: %(count)s.",
        count=page_number(alert.count),
    )


def agent_row(agent: AgentFigures) -> list[str]:
    """Return one agent's line of the per-agent table."""
    locale = page_locale()
    return [
        agent.email,
        str(AGENT_STATES[agent.state]),
        format_list([languages.name_in(code, locale) for code in agent.languages], locale=locale),
        page_number(agent.tickets_handled),
        page_number(agent.calls_taken),
        duration(agent.handling_seconds),
        page_number(agent.callbacks_reached),
        share(agent.satisfaction, "–"),
    ]


def as_json(floor: Floor) -> dict[str, Any]:
    """Return what the page's refresh writes over it: texts by place, alerts, agents' lines."""
    return {
        "cells": cells(floor),
        "alerts": [alert_text(alert) for alert in floor.alerts],
        "agents": [{"state": agent.state, "cells": agent_row(agent)} for agent in floor.agents],
    }
