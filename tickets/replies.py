"""Canned replies: the texts supervisors keep, per language, that agents send callers by SMS.

A reply's text may name the ticket with `{reference}`; it is filled in when the reply is
sent. Templates hold no personal data: nothing here is forgotten with a caller.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from centre.clock import now, to_storage
from centre.extensions import Model, db

TITLE_MAX = 80
BODY_MAX = 600  # four SMS segments at most
REFERENCE = "{reference}"


class ReplyTemplate(Model):
    """A canned SMS reply in one language, kept by supervisors."""

    __tablename__ = "reply_templates"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(5), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(TITLE_MAX))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    updated_at: so.Mapped[datetime]


def in_language(language: str) -> list[ReplyTemplate]:
    """Return the templates of one language, by title."""
    return list(
        db.session.scalars(
            sa.select(ReplyTemplate)
            .where(ReplyTemplate.language == language)
            .order_by(ReplyTemplate.title, ReplyTemplate.id)
        )
    )


def every_template() -> list[ReplyTemplate]:
    """Return every template, by language then title."""
    return list(
        db.session.scalars(
            sa.select(ReplyTemplate).order_by(
                ReplyTemplate.language, ReplyTemplate.title, ReplyTemplate.id
            )
        )
    )


def keep(template: ReplyTemplate | None, language: str, title: str, body: str) -> ReplyTemplate:
    """Add a template (None) or change one; flush so it has its id."""
    if template is None:
        template = ReplyTemplate()
        db.session.add(template)
    template.language, template.title, template.body = language, title, body
    template.updated_at = to_storage(now())
    db.session.flush()
    return template


def fill(body: str, reference: str) -> str:
    """Return the template's text with the ticket's reference in place of `{reference}`."""
    return body.replace(REFERENCE, reference)
