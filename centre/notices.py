"""Service notices: a text per language, a validity period, an optional scope and topic.

The scope is who may hear it (countries, dialled numbers: both empty for every caller); the
topic is where in the call they hear it: before the main menu (no topic), or when they
reach a guide category or service, the status of an application, or the agent queue. An
urgent topic notice is heard before the main menu as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from centre.clock import to_storage
from centre.extensions import Model, db

# Where a notice is heard, besides before the main menu ("" below): the topic's kind, whose
# key is a guide category's or service's slug (a service's slug, or none, for case status).
TOPIC_KINDS = ("category", "service", "case_status", "queue")
CENTRE = ("", "")  # the topic of the main menu: every caller hears its notices
Topic = tuple[str, str]


class Notice(Model):
    """An announcement played, while it is valid, where its topic is (else before the menu)."""

    __tablename__ = "notices"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    starts_at: so.Mapped[datetime] = so.mapped_column(index=True)
    ends_at: so.Mapped[datetime] = so.mapped_column(index=True)
    # Space-separated ISO country codes and dialled numbers; both empty means every caller.
    countries: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    numbers: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    topic: so.Mapped[str] = so.mapped_column(sa.String(20), default="", server_default="")
    topic_key: so.Mapped[str] = so.mapped_column(sa.String(80), default="", server_default="")
    # Heard before the main menu too, not only at its topic.
    urgent: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    texts: so.Mapped[list[NoticeText]] = so.relationship(
        back_populates="notice", cascade="all, delete-orphan"
    )

    def applies_to(self, country: str | None, dialled: str | None) -> bool:
        """Tell whether a caller of `dialled` (in `country`) is in this notice's scope."""
        if not self.countries and not self.numbers:
            return True
        return (country or "") in self.countries.split() or (dialled or "") in self.numbers.split()

    def heard_at(self, topics: Iterable[Topic]) -> bool:
        """Tell whether a caller at one of `topics` hears this notice (CENTRE: before the menu)."""
        wanted = set(topics)
        if CENTRE in wanted and (not self.topic or self.urgent):
            return True
        if not self.topic:
            return False
        # A case-status notice without a service is for every application's status.
        if self.topic == "case_status" and not self.topic_key:
            return any(kind == "case_status" for kind, _ in wanted)
        return (self.topic, self.topic_key) in wanted


class NoticeText(Model):
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
    """Return the texts, in `language`, of the notices heard before the main menu at `at`."""
    return [text for _, text in heard(language, country, dialled, at, [CENTRE])]


def heard(
    language: str,
    country: str | None,
    dialled: str | None,
    at: datetime,
    topics: Iterable[Topic],
    unless: Iterable[int] = (),
) -> list[tuple[int, str]]:
    """Return (id, text in `language`) of the notices valid at `at` this caller hears at `topics`.

    `unless`: the ids already heard on this call, which are not said twice.
    """
    topics, skip = list(topics), set(unless)
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
    return [
        (notice.id, text)
        for notice, text in rows
        if notice.id not in skip and notice.applies_to(country, dialled) and notice.heard_at(topics)
    ]


def at_topics(
    language: str, country: str | None, dialled: str | None, at: datetime
) -> list[tuple[Topic, str]]:
    """Return (topic, text in `language`) of the topic notices valid at `at` for this caller.

    Urgent ones are left out: heard before the main menu, they are not said again at their topic.
    """
    rows = db.session.execute(
        sa.select(Notice, NoticeText.text)
        .join(NoticeText, NoticeText.notice_id == Notice.id)
        .where(Notice.starts_at <= to_storage(at), Notice.ends_at > to_storage(at),
               Notice.topic != "", Notice.urgent.is_(False), NoticeText.language == language)
        .order_by(Notice.topic, Notice.topic_key, Notice.starts_at, Notice.id)
    )  # fmt: skip
    return [((n.topic, n.topic_key), text) for n, text in rows if n.applies_to(country, dialled)]


def texts_of(ids: Iterable[int], language: str) -> list[str]:
    """Return the texts in `language` of the notices `ids`, in that order (gone ones left out)."""
    wanted = list(ids)
    rows = {
        ident: text
        for ident, text in db.session.execute(
            sa.select(NoticeText.notice_id, NoticeText.text).where(
                NoticeText.notice_id.in_(wanted), NoticeText.language == language
            )
        )
    }
    return [rows[ident] for ident in wanted if ident in rows]


def add_notice(
    starts_at: datetime,
    ends_at: datetime,
    texts: dict[str, str],
    countries: list[str] | None = None,
    numbers: list[str] | None = None,
    topic: Topic = CENTRE,
    urgent: bool = False,
) -> Notice:
    """Store a notice valid from `starts_at` to `ends_at` with its text per language."""
    if ends_at <= starts_at:
        raise ValueError("a notice must end after it starts")
    if topic != CENTRE and topic[0] not in TOPIC_KINDS:
        raise ValueError(f"no such topic: {topic[0]!r}")
    notice = Notice(
        topic=topic[0],
        topic_key=topic[1] if topic[0] != "queue" else "",
        urgent=urgent and topic != CENTRE,
        starts_at=to_storage(starts_at),
        ends_at=to_storage(ends_at),
        countries=" ".join(c.upper() for c in countries or []),
        numbers=" ".join(numbers or []),
        texts=[NoticeText(language=lang, text=text) for lang, text in sorted(texts.items())],
    )
    db.session.add(notice)
    db.session.flush()
    return notice
