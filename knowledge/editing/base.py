"""The editors' work on the guide: the fields, the refusals, who makes a change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from centre.clock import now, to_storage
from centre.refusals import Refused
from knowledge import services
from knowledge.models import (
    Service,
    ServiceFacts,
    ServiceTranslation,
)
from staff import audit
from staff.models import StaffUser

TARGET = "guide_service"
TEXT_FIELDS = services.TEXT_FIELDS
# A change to these in the source language makes the other languages' texts stale;
# keywords and synonyms are how callers of one language say things, so they do not.
CONTENT_FIELDS = (
    "title",
    "summary",
    "eligibility",
    "documents",
    "fee_text",
    "delay_text",
    "where_to_apply",
)
FACT_FIELDS = (
    "category",
    "position",
    "published",
    "verified",
    "source_url",
    "source_language",
    "delay_days",
    "appointment_required",
    "presence_required",
    "fees",
)
FACTS_CALLERS_HEAR = ("fees", "delay_days", "appointment_required", "presence_required")
LIMITS = {"title": 200, "source_url": 500, "kind": 30, "when": 30, "term": 120}


class EditRefused(Refused):
    """The change cannot be made as asked; `message` says why, in the page's language."""


class EditConflict(Refused):
    """Someone saved this text after the editor's page was loaded; nothing was written."""

    def __init__(self, theirs: ServiceTranslation | ServiceFacts) -> None:
        """Keep the version now stored (the other editor's)."""
        super().__init__(text=f"text is at version {theirs.version} with other content")
        self.theirs = theirs

    @property
    def message(self) -> str:
        """Say whose version is stored now, and that nothing of the editor's was saved."""
        return gettext(
            "Someone else saved this text while you were editing it (version %(version)s, by "
            "%(author)s). Nothing of yours was saved: compare, then save again.",
            version=self.theirs.version,
            author=self.theirs.created_by or "?",
        )


class FactsConflict(EditConflict):
    """Someone saved the service's facts after the editor's page was loaded; nothing was written."""

    @property
    def message(self) -> str:
        """Say whose facts are stored now, and that nothing of the editor's was saved."""
        return gettext(
            "Someone else saved these facts while you were editing them (version %(version)s, "
            "by %(author)s). Nothing of yours was saved: compare, then save again.",
            version=self.theirs.version,
            author=self.theirs.created_by or "?",
        )


# What editors see each field called, in forms and in what refuses a value.
FIELD_NAMES = {
    "title": _l("Title"),
    "summary": _l("Spoken summary"),
    "eligibility": _l("Who can apply"),
    "documents": _l("Documents (and when each is needed)"),
    "fee_text": _l("Fees, as said"),
    "delay_text": _l("Delay, as said"),
    "where_to_apply": _l("Where to apply"),
    "keywords": _l("Keywords (one per line)"),
    "synonyms": _l("Synonyms: what callers say (one per line)"),
    "examples": _l("Example questions: a caller's situation in their words (one per line)"),
    "category": _l("Category"),
    "position": _l("Position in its category"),
    "published": _l("Offered to callers"),
    "verified": _l("Every fact verified"),
    "source_url": _l("Source link"),
    "source_language": _l("Source language"),
    "delay_days": _l("Delay in days"),
    "appointment_required": _l("Appointment required"),
    "presence_required": _l("Presence in person required"),
    "fees": _l("Fees in dirhams"),
}


@dataclass(frozen=True)
class Author:
    """Who makes a change: a logged-in staff member, or a command ("cli")."""

    user: StaffUser | None = None
    email: str = ""

    @property
    def name(self) -> str:
        """Return how versions record their author."""
        return (self.user.email if self.user else self.email)[:120]


def _record(
    action: str, service: Service, before: dict[str, Any], after: dict[str, Any], author: Author
) -> None:
    audit.record(
        action, TARGET, service.id, before or None, after or None, author.user, author.email or None
    )


def _moment() -> Any:
    return to_storage(now())
