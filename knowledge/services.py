"""Reading the published guide, versioning its translations, and logging what was not found."""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from babel import Locale
from flask_babel import force_locale, gettext

from centre import revisions
from centre.clock import now, to_storage
from centre.extensions import db, rows_changed
from centre.languages import CODES
from centre.plaintext import is_web_link
from centre.statements import Compiled, insert_into
from centre.transactions import WRITTEN
from knowledge.models import (
    ARCHIVED,
    CURRENT,
    DRAFT,
    GUIDE_REVISION,
    PUBLISHED,
    STALE,
    Category,
    CategoryName,
    Fee,
    GuideRevision,
    Service,
    ServiceTranslation,
    UnmatchedPhrase,
)
from knowledge.normalise import normalise

CONTENT = (Category, CategoryName, Service, Fee, ServiceTranslation)
TEXT_FIELDS = (
    "title",
    "summary",
    "eligibility",
    "documents",
    "fee_text",
    "delay_text",
    "where_to_apply",
    "keywords",
    "synonyms",
    "examples",
)
LONG_NUMBER = re.compile(r"\d[\d .-]{3,}\d")  # phone, passport or file numbers said aloud
# Dates (of birth, as a rule) written with slashes, dots or dashes: 05/03/1984, 5-3-84, 1984.03.05.
NUMERIC_DATE = re.compile(r"(?<!\d)\d{1,4} ?[/.-] ?\d{1,2} ?[/.-] ?\d{2,4}(?!\d)")


@dataclass(frozen=True)
class Published:
    """A published service with its published translation in one language."""

    service: Service
    text: ServiceTranslation


@dataclass(frozen=True)
class Spoken:
    """A published service as a caller hears it in one language: plain values, kept per worker."""

    slug: str
    category: str  # its category's slug: the notices aimed at it are for this caller
    title: str
    parts: tuple[str, ...]  # `spoken_parts`, read one at a time
    sms: str  # `sms_text`, sent on request


# --- the revision every worker's search index and caches follow ------------------------------


def bump_revision(session: so.Session, context: Any, instances: Any) -> None:
    """Move the guide's revision whenever a flush touches its content."""
    touched = (*session.new, *session.dirty, *session.deleted)
    if not any(isinstance(obj, CONTENT) for obj in touched):
        return
    token = uuid.uuid4().hex
    updated = session.execute(
        sa.update(GuideRevision)
        .where(GuideRevision.id == 1)
        .values(revision=GuideRevision.revision + 1, token=token),
        execution_options={"synchronize_session": False},
    )
    if rows_changed(updated) == 0:
        session.add(GuideRevision(id=1, revision=1, token=token))
    revisions.moved(session, GUIDE_REVISION, token)  # what this transaction reads next follows it


def _by_language() -> dict[Any, Any]:
    return {}


# What the phone menus read of the guide on most steps, kept per worker under its revision.
_categories = revisions.Cached("guide.categories", GUIDE_REVISION, _by_language)
_services_in = revisions.Cached("guide.services_in", GUIDE_REVISION, _by_language)
_spoken = revisions.Cached("guide.spoken", GUIDE_REVISION, _by_language)
SPOKEN_MAX = 2000  # services read aloud kept per worker (a guide holds a few hundred a language)


# --- reading what callers may hear -----------------------------------------------------------


def published(slug: str, language: str) -> Published | None:
    """Return the published service `slug` in its published `language` text, if any."""
    row = db.session.execute(
        sa.select(Service, ServiceTranslation)
        .join(ServiceTranslation, ServiceTranslation.service_id == Service.id)
        .where(
            Service.slug == slug,
            Service.published.is_(True),
            ServiceTranslation.language == language,
            ServiceTranslation.status == PUBLISHED,
        )
    ).first()
    return Published(row[0], row[1]) if row else None


def spoken(slug: str, language: str) -> Spoken | None:
    """Return service `slug` as callers hear it in `language`, or None unless it is published there.

    Read once per worker under the guide's revision: publishing, unpublishing or editing any
    of the guide moves the revision, and the next step of every worker reads it afresh.
    """
    kept = _spoken.get()
    key = (slug, language)
    if key not in kept:
        if len(kept) >= SPOKEN_MAX:
            kept.clear()
        entry = published(slug, language)
        kept[key] = None if entry is None else _spoken_from(entry, language)
    found: Spoken | None = kept[key]
    return found


def _spoken_from(entry: Published, language: str) -> Spoken:
    with force_locale(language):  # the words around the guide's text are the caller's
        return Spoken(
            slug=entry.service.slug,
            category=entry.service.category.slug,
            title=entry.text.title,
            parts=tuple(spoken_parts(entry)),
            sms=sms_text(entry),
        )


def categories(language: str) -> list[tuple[str, str]]:
    """Return (slug, name) of the categories holding a published service, in keypad order."""
    kept = _categories.get()
    if language not in kept:  # two requests may both read it: the same rows, either kept
        kept[language] = tuple(_read_categories(language))
    return list(kept[language])


def _read_categories(language: str) -> list[tuple[str, str]]:
    query = (
        sa.select(Category)
        .options(so.selectinload(Category.names))
        .where(Category.services.any(Service.published.is_(True)))
        .order_by(Category.position, Category.slug)
    )
    return [(c.slug, c.name(language)) for c in db.session.scalars(query)]


def services_in(category_slug: str, language: str) -> list[tuple[str, str]]:
    """Return (slug, title) of the published services of a category, in keypad order."""
    kept = _services_in.get()
    key = (category_slug, language)
    if key not in kept:
        kept[key] = tuple(_read_services_in(category_slug, language))
    return list(kept[key])


def _read_services_in(category_slug: str, language: str) -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(Service.slug, ServiceTranslation.title)
        .join(Category, Service.category_id == Category.id)
        .join(ServiceTranslation, ServiceTranslation.service_id == Service.id)
        .where(
            Category.slug == category_slug,
            Service.published.is_(True),
            ServiceTranslation.language == language,
            ServiceTranslation.status == PUBLISHED,
        )
        .order_by(Service.position, Service.slug)
    )
    return [(slug, title) for slug, title in rows]


def as_dict(entry: Published) -> dict[str, Any]:
    """Return a published service as the API gives it."""
    service, text = entry.service, entry.text
    return {
        "slug": service.slug,
        "language": text.language,
        "category": service.category.slug,
        "title": text.title,
        "summary": text.summary,
        "eligibility": text.eligibility,
        "documents": [{"text": d["text"], "when": d.get("when")} for d in text.documents],
        "fees": [
            {
                "kind": fee.kind,
                "amount_dh": fee.amount_dh,
                "checked_on": fee.checked_on.isoformat() if fee.checked_on else None,
            }
            for fee in service.fees
        ],
        "fee_text": text.fee_text,
        "delay_days": service.delay_days,
        "delay_text": text.delay_text,
        "where_to_apply": text.where_to_apply,
        "appointment_required": service.appointment_required,
        "presence_required": service.presence_required,
        "verified": service.verified,
        "source_url": service.source_url if is_web_link(service.source_url) else "",
        "source_checked_on": (
            service.source_checked_on.isoformat() if service.source_checked_on else None
        ),
        "keywords": list(text.keywords),
        "version": text.version,
        "review_state": text.review_state,
    }


def spoken_parts(entry: Published) -> list[str]:
    """Return the answer in short parts to read one at a time: summary, documents, fee, where."""
    text = entry.text
    parts = [text.summary]
    if text.eligibility:
        parts.append(gettext("Who can apply: %(text)s", text=text.eligibility))
    if text.documents:
        items = "; ".join(d["text"] for d in text.documents)
        parts.append(gettext("Documents to bring: %(items)s.", items=items.rstrip(".")))
    money = " ".join(filter(None, [text.fee_text, text.delay_text]))
    if money:
        parts.append(money)
    if text.where_to_apply:
        parts.append(gettext("Where to apply: %(text)s", text=text.where_to_apply))
    return parts


def sms_text(entry: Published) -> str:
    """Return the answer as a text message: the checklist and the source link."""
    text = entry.text
    lines = [text.title, text.summary]
    if text.documents:
        lines.append(gettext("Documents to bring:"))
        lines.extend(f"- {d['text']}" for d in text.documents)
    lines.extend(filter(None, [text.fee_text, text.delay_text, text.where_to_apply]))
    if is_web_link(entry.service.source_url):  # a link stored before links were checked
        lines.append(gettext("Source: %(url)s", url=entry.service.source_url))
    return "\n".join(lines)


# --- unmatched phrases -----------------------------------------------------------------------


def log_unmatched(phrase: str, language: str) -> int | None:
    """Count a phrase the guide did not recognise, for the editors (dates and numbers blanked).

    Return the id of its row, or None when nothing of it is left to count.
    """
    return _log_phrase(phrase, language, "count")


def log_agent_request(phrase: str, language: str) -> int | None:
    """Count a phrase after which the caller asked for an agent (the guide did not help); return its row's id."""
    return _log_phrase(phrase, language, "agent_requests")


@functools.cache
def _spoken_date(language: str) -> re.Pattern[str]:
    """Return a pattern of dates said with the month's name in `language` (5 mars 1984)."""
    months = Locale.parse(language).months
    names = {
        name.rstrip(".")
        for context in ("format", "stand-alone")
        for width in ("wide", "abbreviated")
        for name in months[context][width].values()
    }
    either = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    day = r"\d{1,2}(?:er|st|nd|rd|th|º)?\.?"
    return re.compile(
        rf"(?<!\w){day}\s+(?:de\s+)?(?:{either})\.?(?:\s+de)?,?\s+\d{{2,4}}(?!\d)"
        rf"|(?<!\w)(?:{either})\.?\s+{day},?\s+\d{{4}}(?!\d)",
        re.IGNORECASE,
    )


def blank_personal(phrase: str, language: str) -> str:
    """Return `phrase` with dates and long numbers (birth dates, phones, passports) blanked."""
    text = " ".join(phrase.split())
    if language in CODES:
        text = _spoken_date(language).sub("…", text)
    return LONG_NUMBER.sub("…", NUMERIC_DATE.sub("…", text))


def _log_phrase(phrase: str, language: str, counter: str) -> int | None:
    cleaned = blank_personal(phrase, language)[:300]
    key = normalise(cleaned, language)[:300]
    if not key:
        return None
    moment = to_storage(now())
    session = db.session()
    connection = session.connection()
    # One upsert in the step's transaction (not a read, then an INSERT in a savepoint or an
    # UPDATE): two calls counting the same phrase at once both count, on the unique key.
    row = _count_phrase(connection.dialect.name).first(
        connection,
        {
            "language": language,
            "phrase": cleaned,
            "normalised": key,
            "count": int(counter == "count"),
            "agent_requests": int(counter == "agent_requests"),
            "first_seen": moment,
            "last_seen": moment,
        },
    )
    session.info[WRITTEN] = True  # sent past the session: the request still commits it
    return None if row is None else int(row["id"])


@functools.cache
def _count_phrase(dialect: str) -> Compiled:
    """Return the upsert that counts a phrase (either counter, by the values given) for this dialect."""
    table = UnmatchedPhrase.__table__
    statement = insert_into(dialect, table)
    upsert = statement.on_conflict_do_update(
        index_elements=[table.c.language, table.c.normalised],
        set_={
            "count": table.c["count"] + statement.excluded["count"],
            "agent_requests": table.c.agent_requests + statement.excluded.agent_requests,
            "last_seen": statement.excluded.last_seen,
        },
    ).returning(table.c.id)
    keys = ("language", "phrase", "normalised", "count", "agent_requests", "first_seen")
    return Compiled(upsert, column_keys=(*keys, "last_seen"))


def unmatched(language: str | None = None, limit: int = 100) -> list[UnmatchedPhrase]:
    """Return the unresolved unmatched phrases, most frequent first (misses and agent requests)."""
    query = sa.select(UnmatchedPhrase).where(UnmatchedPhrase.resolved_at.is_(None))
    if language:
        query = query.where(UnmatchedPhrase.language == language)
    total = UnmatchedPhrase.count + UnmatchedPhrase.agent_requests
    order = (total.desc(), UnmatchedPhrase.last_seen.desc(), UnmatchedPhrase.id)
    return list(db.session.scalars(query.order_by(*order).limit(limit)))


# --- versions, for the editors ---------------------------------------------------------------


def versions(service: Service, language: str) -> list[ServiceTranslation]:
    """Return every version of a service's text in `language`, newest first."""
    return sorted(
        (t for t in service.translations if t.language == language),
        key=lambda t: t.version,
        reverse=True,
    )


def draft(
    service: Service, language: str, fields: dict[str, Any], author: str | None = None
) -> ServiceTranslation:
    """Write a new draft version of a service's `language` text, from the latest one."""
    history = versions(service, language)
    base = history[0] if history else None
    values = {name: getattr(base, name) for name in TEXT_FIELDS} if base else {}
    values.update({k: v for k, v in fields.items() if k in TEXT_FIELDS})
    translation = ServiceTranslation(
        service=service,
        language=language,
        version=(base.version + 1) if base else 1,
        status=DRAFT,
        review_state=CURRENT,
        created_at=to_storage(now()),
        created_by=author,
        **values,
    )
    db.session.add(translation)
    return translation


def publish(translation: ServiceTranslation, reviewer: str | None = None) -> None:
    """Make this version the one callers hear; the previously published one is archived."""
    moment = to_storage(now())
    for other in translation.service.translations:
        if other.language == translation.language and other.status == PUBLISHED:
            other.status = ARCHIVED
    translation.status = PUBLISHED
    translation.review_state = CURRENT
    translation.published_at = moment
    translation.reviewed_at = moment
    translation.reviewed_by = reviewer


def restore(translation: ServiceTranslation, author: str | None = None) -> ServiceTranslation:
    """Start a new draft holding an earlier version's text."""
    fields = {name: getattr(translation, name) for name in TEXT_FIELDS}
    return draft(translation.service, translation.language, fields, author)


def mark_others_stale(translation: ServiceTranslation) -> int:
    """Mark the other languages' published texts of the service stale; return how many."""
    count = 0
    for other in translation.service.translations:
        if other.language != translation.language and other.status == PUBLISHED:
            other.review_state = STALE
            count += 1
    return count


def service_slugs() -> list[str]:
    """Return the slug of every service of the guide, offered to callers or not."""
    return list(db.session.scalars(sa.select(Service.slug).order_by(Service.slug)))
