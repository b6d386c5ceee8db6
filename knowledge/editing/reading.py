"""The editors' work on the guide: reading services, texts and their versions."""

from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from centre.extensions import db
from knowledge import services
from knowledge.editing.base import TEXT_FIELDS
from knowledge.models import (
    DRAFT,
    PUBLISHED,
    Category,
    Service,
    ServiceTranslation,
)


def default_source_language() -> str:
    """Return the guide's source language (GUIDE_SOURCE_LANGUAGE, French unless set)."""
    return str(current_app.config["GUIDE_SOURCE_LANGUAGE"])


def source_language(service: Service) -> str:
    """Return the language the service's other texts are translated from."""
    return service.source_language or default_source_language()


def service_by_slug(slug: str) -> Service | None:
    """Return the service `slug` (published or not), if any."""
    return db.session.scalar(sa.select(Service).where(Service.slug == slug[:60]))


def all_services() -> list[Service]:
    """Return every service, by category and position."""
    query = (
        sa.select(Service)
        .options(so.selectinload(Service.translations))
        .join(Category, Service.category_id == Category.id)
        .order_by(Category.position, Category.slug, Service.position, Service.slug)
    )
    return list(db.session.scalars(query))


def all_categories() -> list[Category]:
    """Return every category, in keypad order."""
    return list(db.session.scalars(sa.select(Category).order_by(Category.position, Category.slug)))


def text_values(text: ServiceTranslation) -> dict[str, Any]:
    """Return a version's text fields (copies: JSON lists are never shared between rows)."""
    return {name: copy.deepcopy(getattr(text, name)) for name in TEXT_FIELDS}


def versions(service: Service, language: str) -> list[ServiceTranslation]:
    """Return every version of a service's `language` text, newest first."""
    return services.versions(service, language)


def open_draft(service: Service, language: str) -> ServiceTranslation | None:
    """Return the draft being edited in `language`, if any."""
    return next((t for t in versions(service, language) if t.status == DRAFT), None)


def published_text(service: Service, language: str) -> ServiceTranslation | None:
    """Return the version callers hear in `language`, if any."""
    return next((t for t in versions(service, language) if t.status == PUBLISHED), None)


def latest_text(service: Service, language: str) -> ServiceTranslation | None:
    """Return what an editor works from: the open draft, else the published text, else the newest."""
    history = versions(service, language)
    return (
        open_draft(service, language)
        or published_text(service, language)
        or (history[0] if history else None)
    )


def version(service: Service, language: str, number: int) -> ServiceTranslation | None:
    """Return version `number` of a service's `language` text."""
    return next((t for t in versions(service, language) if t.version == number), None)
