"""The editors' work on the guide: the translation status of the whole guide."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from centre.extensions import db
from centre.languages import CODES
from knowledge.editing.reading import all_services, source_language
from knowledge.models import (
    DRAFT,
    PUBLISHED,
    Service,
    ServiceTranslation,
)


@dataclass(frozen=True)
class Cell:
    """One service's text in one language: current, stale or missing, and whether a draft waits."""

    state: str  # "current" | "stale" | "missing"
    draft: bool
    version: int | None


@dataclass(frozen=True)
class StatusRow:
    """A service's translation state in every language."""

    service: Service
    source: str
    cells: dict[str, Cell]


def translation_status() -> tuple[list[StatusRow], dict[str, dict[str, int]]]:
    """Return every service's state per language, and the totals per language and state."""
    rows = db.session.execute(
        sa.select(
            ServiceTranslation.service_id,
            ServiceTranslation.language,
            ServiceTranslation.status,
            ServiceTranslation.review_state,
            ServiceTranslation.version,
        ).where(ServiceTranslation.status.in_((PUBLISHED, DRAFT)))
    )
    published: dict[tuple[int, str], tuple[str, int]] = {}
    drafts: set[tuple[int, str]] = set()
    for service_id, language, status, review, number in rows:
        if status == PUBLISHED:
            published[(service_id, language)] = (review, number)
        else:
            drafts.add((service_id, language))
    table = []
    totals = {code: {"current": 0, "stale": 0, "missing": 0} for code in CODES}
    for service in all_services():
        cells = {}
        for code in CODES:
            review, version = published.get((service.id, code), ("missing", None))
            cells[code] = Cell(review, (service.id, code) in drafts, version)
            totals[code][review] += 1
        table.append(StatusRow(service, source_language(service), cells))
    return table, totals
