"""The consular guide as structured data: categories, services, their translations, misses.

A service holds the facts that do not depend on the language (fees in DH, flags, source).
Each language's text is a `ServiceTranslation`; every edit is a new row with the next
version number, so history, review and restore need no other table:

- `status`: "draft" (being edited), "published" (what callers hear; at most one per
  service and language), "archived" (an earlier published version, kept for restore).
- `review_state`: "current", or "stale" when the facts or the reference text changed
  after this translation was last reviewed.

Callers and the API only ever see published services in their published translation.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from centre.extensions import Model

DRAFT, PUBLISHED, ARCHIVED = "draft", "published", "archived"
CURRENT, STALE = "current", "stale"

# The codes stored with a document (when it is needed) and a fee (who pays it), in words.
CONDITIONS = ("adult", "minor", "renewal", "after-loss", "own-signature")
CONDITION_NAMES = {
    "adult": _l("adults"),
    "minor": _l("minors"),
    "renewal": _l("on renewal"),
    "after-loss": _l("after a loss"),
    "own-signature": _l("for one's own signature"),
}
FEE_KINDS = ("standard", "adult", "minor", "after-loss")
FEE_KIND_NAMES = {
    "standard": _l("everyone"),
    "adult": _l("adults"),
    "minor": _l("minors"),
    "after-loss": _l("after a loss"),
}


class Category(Model):
    """A group of services offered together on the keypad (identity and travel, ...)."""

    __tablename__ = "guide_categories"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)
    position: so.Mapped[int] = so.mapped_column(default=0)
    names: so.Mapped[list[CategoryName]] = so.relationship(
        back_populates="category", cascade="all, delete-orphan"
    )
    services: so.Mapped[list[Service]] = so.relationship(back_populates="category")

    def name(self, language: str) -> str:
        """Return the category's name in `language` (its slug if untranslated)."""
        return next((n.name for n in self.names if n.language == language), self.slug)


class CategoryName(Model):
    """A category's name in one language."""

    __tablename__ = "guide_category_names"
    __table_args__ = (sa.UniqueConstraint("category_id", "language"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    category_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("guide_categories.id", ondelete="CASCADE")
    )
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    category: so.Mapped[Category] = so.relationship(back_populates="names")


class Service(Model):
    """One consular service and its language-independent facts."""

    __tablename__ = "guide_services"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)
    category_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("guide_categories.id"), index=True)
    position: so.Mapped[int] = so.mapped_column(default=0)
    # False while any fact of the entry is unconfirmed: its text tells callers to check.
    verified: so.Mapped[bool] = so.mapped_column(default=False)
    source_url: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    # When the source page was last checked against the guide's facts.
    source_checked_on: so.Mapped[date | None]
    # Processing delay in days; None means the consulates publish none.
    delay_days: so.Mapped[int | None]
    # None: the guide does not say.
    appointment_required: so.Mapped[bool | None]
    presence_required: so.Mapped[bool | None]
    # A draft service is invisible to callers until an editor publishes it.
    published: so.Mapped[bool] = so.mapped_column(default=False)
    # The language the others are translated from; None: the guide's (GUIDE_SOURCE_LANGUAGE).
    source_language: so.Mapped[str | None] = so.mapped_column(sa.String(5))
    updated_at: so.Mapped[datetime]
    category: so.Mapped[Category] = so.relationship(back_populates="services")
    fees: so.Mapped[list[Fee]] = so.relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="Fee.position"
    )
    translations: so.Mapped[list[ServiceTranslation]] = so.relationship(
        back_populates="service", cascade="all, delete-orphan"
    )
    facts_versions: so.Mapped[list[ServiceFacts]] = so.relationship(
        back_populates="service", cascade="all, delete-orphan"
    )


CURRENCY = "MAD"  # every fee is a whole number of Moroccan dirhams


class Fee(Model):
    """A fee of a service in dirhams, for one kind of applicant, with the date it was checked."""

    __tablename__ = "guide_fees"
    __table_args__ = (sa.UniqueConstraint("service_id", "kind"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    service_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("guide_services.id", ondelete="CASCADE")
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(30))  # standard | adult | minor | after-loss
    amount_dh: so.Mapped[int]
    checked_on: so.Mapped[date | None]
    position: so.Mapped[int] = so.mapped_column(default=0)
    service: so.Mapped[Service] = so.relationship(back_populates="fees")


class ServiceTranslation(Model):
    """One version of a service's text in one language."""

    __tablename__ = "guide_service_translations"
    __table_args__ = (sa.UniqueConstraint("service_id", "language", "version"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    service_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("guide_services.id", ondelete="CASCADE"), index=True
    )
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    version: so.Mapped[int] = so.mapped_column(default=1)
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default=DRAFT)
    review_state: so.Mapped[str] = so.mapped_column(sa.String(12), default=CURRENT)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    # Short enough to be spoken in one go on the phone.
    summary: so.Mapped[str] = so.mapped_column(sa.Text)
    eligibility: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # [{"text": "...", "when": "minor" | "adult" | "after-loss" | ... | null}]
    documents: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON, default=list)
    fee_text: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    delay_text: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    where_to_apply: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # How callers name the service: official words, then what they really say.
    keywords: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    synonyms: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    # Questions callers ask that this service answers, told their roundabout way ("my son
    # was born last week"): the search finds a caller's phrase by its nearest examples.
    examples: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list, server_default="[]")
    created_at: so.Mapped[datetime]
    created_by: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    reviewed_at: so.Mapped[datetime | None]
    reviewed_by: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    published_at: so.Mapped[datetime | None]
    service: so.Mapped[Service] = so.relationship(back_populates="translations")


class ServiceFacts(Model):
    """One version of a service's language-independent facts, as editors draft and publish them.

    The published version's values are copied onto the `Service` row and its `Fee` rows,
    which are what callers and the API read; these rows keep the history.
    """

    __tablename__ = "guide_service_facts"
    __table_args__ = (sa.UniqueConstraint("service_id", "version"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    service_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("guide_services.id", ondelete="CASCADE"), index=True
    )
    version: so.Mapped[int] = so.mapped_column(default=1)
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default=DRAFT)
    category: so.Mapped[str] = so.mapped_column(sa.String(60))  # the category's slug
    position: so.Mapped[int] = so.mapped_column(default=0)
    published: so.Mapped[bool] = so.mapped_column(default=False)  # offered to callers
    verified: so.Mapped[bool] = so.mapped_column(default=False)
    source_url: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    source_language: so.Mapped[str | None] = so.mapped_column(sa.String(5))
    delay_days: so.Mapped[int | None]
    appointment_required: so.Mapped[bool | None]
    presence_required: so.Mapped[bool | None]
    # [{"kind": "adult", "amount_dh": 860, "checked_on": "2026-11-27" | null}]
    fees: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON, default=list)
    created_at: so.Mapped[datetime]
    created_by: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    published_at: so.Mapped[datetime | None]
    service: so.Mapped[Service] = so.relationship(back_populates="facts_versions")


class UnmatchedPhrase(Model):
    """Something callers asked for that the guide did not recognise, counted per language.

    `count`: times it matched nothing; `agent_requests`: times the caller then asked for an agent.
    """

    __tablename__ = "guide_unmatched_phrases"
    __table_args__ = (sa.UniqueConstraint("language", "normalised"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    phrase: so.Mapped[str] = so.mapped_column(sa.String(300))
    normalised: so.Mapped[str] = so.mapped_column(sa.String(300))
    count: so.Mapped[int] = so.mapped_column(default=1)
    agent_requests: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    first_seen: so.Mapped[datetime]
    last_seen: so.Mapped[datetime] = so.mapped_column(index=True)
    # Set by the editors once the phrase is handled (a keyword added, or dismissed).
    resolved_at: so.Mapped[datetime | None]


class GuideRevision(Model):
    """A counter bumped by every change of the guide, so each worker knows when to reindex."""

    __tablename__ = "guide_revision"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    revision: so.Mapped[int] = so.mapped_column(default=0)
    # A fresh random token per change: a counter alone could repeat after a database reset.
    token: so.Mapped[str] = so.mapped_column(sa.String(32), default="")


# The guide's revision as `centre.revisions` knows it: its name, and its token as a scalar
# subquery a webhook reads along with its call's row (registered by `knowledge.init_app`).
GUIDE_REVISION = "guide"
GUIDE_TOKEN = sa.select(GuideRevision.token).where(GuideRevision.id == 1).scalar_subquery()
