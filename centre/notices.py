"""Service notices: a text per language, a validity period and an optional scope."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from centre.clock import to_storage
from centre.extensions import db


class Notice(db.Model):
    """An announcement played after the language choice while it is valid."""

    __tablename__ = "notices"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    starts_at: so.Mapped[datetime] = so.mapped_column(index=True)
    ends_at: so.Mapped[datetime] = so.mapped_column(index=True)
    # Space-separated ISO country codes and dialled numbers; both empty means every caller.
    countries: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    numbers: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    texts: so.Mapped[list[NoticeText]] = so.relationship(
        back_populates="notice", cascade="all, delete-orphan"
    )

    def applies_to(self, country: str | None, dialled: str | None) -> bool:
        """Tell whether a caller of `dialled` (in `country`) is in this notice's scope."""
        if not self.countries and not self.numbers:
            return True
        return (country or "") in self.countries.split() or (dialled or "") in self.numbers.split()


class NoticeText(db.Model):
    """The text of a notice in one language."""

    __tablename__ = "notice_texts"
    __table_args__ = (sa.UniqueConstraint("notice_id", "language"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    notice_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"))
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    notice: so.Mapped[Notice] = so.relationship(back_populates="texts")


def active_texts(
    language: str, country: str | None, dialled: str | None, at: datetime
) -> list[str]:
    """Return the texts, in `language`, of the notices valid at `at` for this caller."""
    moment = to_storage(at)
    rows = db.session.execute(
        sa.select(Notice, NoticeText.text)
        .join(NoticeText, NoticeText.notice_id == Notice.id)
        .where(
            Notice.starts_at <= moment,
            Notice.ends_at > moment,
            NoticeText.language == language,
        )
        .order_by(Notice.starts_at, Notice.id)
    )
    return [text for notice, text in rows if notice.applies_to(country, dialled)]


def add_notice(
    starts_at: datetime,
    ends_at: datetime,
    texts: dict[str, str],
    countries: list[str] | None = None,
    numbers: list[str] | None = None,
) -> Notice:
    """Store a notice valid from `starts_at` to `ends_at` with its text per language."""
    if ends_at <= starts_at:
        raise ValueError("a notice must end after it starts")
    notice = Notice(
        starts_at=to_storage(starts_at),
        ends_at=to_storage(ends_at),
        countries=" ".join(c.upper() for c in countries or []),
        numbers=" ".join(numbers or []),
        texts=[NoticeText(language=lang, text=text) for lang, text in sorted(texts.items())],
    )
    db.session.add(notice)
    db.session.flush()
    return notice
