"""Service notices: a text per language, a validity period, an optional scope and topic.

The scope is who may hear it (countries, dialled numbers: both empty for every caller); the
topic is where in the call they hear it: before the main menu (no topic), or when they
reach a guide category or service, the status of an application, or the agent queue. An
urgent topic notice is heard before the main menu as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask

from centre import revisions
from centre.clock import now, to_storage
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
        return _applies_to(self.countries, self.numbers, country, dialled)

    def heard_at(self, topics: Iterable[Topic]) -> bool:
        """Tell whether a caller at one of `topics` hears this notice (CENTRE: before the menu)."""
        return _heard_at(self.topic, self.topic_key, self.urgent, topics)


def _applies_to(countries: str, numbers: str, country: str | None, dialled: str | None) -> bool:
    if not countries and not numbers:
        return True
    return (country or "") in countries.split() or (dialled or "") in numbers.split()


def _heard_at(topic: str, topic_key: str, urgent: bool, topics: Iterable[Topic]) -> bool:
    wanted = set(topics)
    if CENTRE in wanted and (not topic or urgent):
        return True
    if not topic:
        return False
    # A case-status notice without a service is for every application's status.
    if topic == "case_status" and not topic_key:
        return any(kind == "case_status" for kind, _ in wanted)
    return (topic, topic_key) in wanted


class NoticeText(Model):
    """The text of a notice in one language."""

    __tablename__ = "notice_texts"
    __table_args__ = (sa.UniqueConstraint("notice_id", "language"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    notice_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"))
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    notice: so.Mapped[Notice] = so.relationship(back_populates="texts")


@dataclass(frozen=True)
class Valid:
    """A notice as a worker keeps it: its period, scope, topic and texts (by language)."""

    id: int
    starts_at: datetime  # naive UTC, as stored
    ends_at: datetime
    countries: str
    numbers: str
    topic: str
    topic_key: str
    urgent: bool
    texts: dict[str, str]  # filled while reading, then only read

    def applies_to(self, country: str | None, dialled: str | None) -> bool:
        """Tell whether a caller of `dialled` (in `country`) is in this notice's scope."""
        return _applies_to(self.countries, self.numbers, country, dialled)

    def heard_at(self, topics: Iterable[Topic]) -> bool:
        """Tell whether a caller at one of `topics` hears this notice (CENTRE: before the menu)."""
        return _heard_at(self.topic, self.topic_key, self.urgent, topics)

    def valid_at(self, moment: datetime) -> bool:
        """Tell whether the notice is valid at `moment` (naive UTC)."""
        return self.starts_at <= moment < self.ends_at


@dataclass(frozen=True)
class Kept:
    """The notices not over a day before `since` (naive UTC), by start: what a worker keeps."""

    since: datetime
    notices: tuple[Valid, ...]


KEPT_BACK = timedelta(days=1)  # notices over for longer than this are not kept


def _read(since: datetime) -> Kept:
    """Read the notices still valid at `since` or later, with their texts, in hearing order."""
    rows = db.session.execute(
        sa.select(Notice, NoticeText.language, NoticeText.text)
        .join(NoticeText, NoticeText.notice_id == Notice.id)
        .where(Notice.ends_at > since)
        .order_by(Notice.starts_at, Notice.id)
    )
    kept: dict[int, Valid] = {}
    for notice, language, text in rows:
        if notice.id not in kept:
            kept[notice.id] = Valid(
                notice.id,
                notice.starts_at,
                notice.ends_at,
                notice.countries,
                notice.numbers,
                notice.topic,
                notice.topic_key,
                notice.urgent,
                {},
            )
        kept[notice.id].texts[language] = text
    return Kept(since, tuple(kept.values()))


def _read_recent() -> Kept:
    return _read(to_storage(now()) - KEPT_BACK)


# Read again only when a change to the notices moved their revision (see centre.revisions).
REVISION = "notices"
_kept = revisions.Cached("notices", REVISION, _read_recent)


def valid_at(at: datetime) -> list[Valid]:
    """Return the notices valid at `at` (aware), in hearing order: by start, then id."""
    moment = to_storage(at)
    kept = _kept.get()
    if moment < kept.since:  # further back than the worker keeps: read them for this once
        kept = _read(moment)
    return [notice for notice in kept.notices if notice.valid_at(moment)]


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
    return [
        (notice.id, notice.texts[language])
        for notice in valid_at(at)
        if language in notice.texts
        and notice.id not in skip
        and notice.applies_to(country, dialled)
        and notice.heard_at(topics)
    ]


def at_topics(
    language: str, country: str | None, dialled: str | None, at: datetime
) -> list[tuple[Topic, str]]:
    """Return (topic, text in `language`) of the topic notices valid at `at` for this caller.

    Urgent ones are left out: heard before the main menu, they are not said again at their topic.
    """
    found = [
        notice
        for notice in valid_at(at)
        if notice.topic
        and not notice.urgent
        and language in notice.texts
        and notice.applies_to(country, dialled)
    ]
    found.sort(key=lambda n: (n.topic, n.topic_key, n.starts_at, n.id))
    return [((n.topic, n.topic_key), n.texts[language]) for n in found]


def texts_of(ids: Iterable[int], language: str) -> list[str]:
    """Return the texts in `language` of the notices `ids`, in that order (gone ones left out)."""
    wanted = list(ids)
    if not wanted:
        return []
    kept = {notice.id: notice for notice in _kept.get().notices}
    if any(ident not in kept for ident in wanted):  # over, or gone: ask the database
        rows = dict(
            db.session.execute(
                sa.select(NoticeText.notice_id, NoticeText.text).where(
                    NoticeText.notice_id.in_(wanted), NoticeText.language == language
                )
            ).tuples()
        )
        return [rows[ident] for ident in wanted if ident in rows]
    return [kept[i].texts[language] for i in wanted if language in kept[i].texts]


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


def init_app(app: Flask) -> None:
    """Make every change to the notices or their texts move the notices' revision."""
    revisions.follow(app, REVISION, (Notice, NoticeText))
