"""The editors' work on the guide: drafts, publishing, review, restore, and phrases made synonyms.

A change is a draft until published; callers only hear published versions. Drafts are
work in progress: saving again updates the open draft. Published and archived versions are
never changed again: a restore writes an earlier version's text into a new draft. Every
change is written to the audit log against the service ("guide_service", its id).

Publishing the text of a service's source language (French unless the service or
GUIDE_SOURCE_LANGUAGE says otherwise) with a changed content field marks the other
languages' published texts stale; publishing facts that callers hear about (fees, delay,
appointment, presence) marks every language stale. A stale text is still what callers hear
until it is reviewed ("still correct") or a new version of it is published.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from centre.clock import now, to_storage
from centre.extensions import db
from centre.formatting import too_long
from centre.languages import CODES
from centre.plaintext import is_web_link, unsafe_character
from centre.refusals import Refused
from knowledge import services
from knowledge.models import (
    ARCHIVED,
    CURRENT,
    DRAFT,
    PUBLISHED,
    STALE,
    Category,
    Fee,
    Service,
    ServiceFacts,
    ServiceTranslation,
    UnmatchedPhrase,
)
from staff import audit
from staff.models import StaffUser

TARGET = "guide_service"
TEXT_FIELDS = services.TEXT_FIELDS
# A change to these in the source language makes the other languages' texts stale;
# keywords and synonyms are how callers of one language say things, so they do not.
CONTENT_FIELDS = ("title", "summary", "eligibility", "documents", "fee_text", "delay_text",
                  "where_to_apply")  # fmt: skip
FACT_FIELDS = ("category", "position", "published", "verified", "source_url", "source_language",
               "delay_days", "appointment_required", "presence_required", "fees")  # fmt: skip
FACTS_CALLERS_HEAR = ("fees", "delay_days", "appointment_required", "presence_required")
LIMITS = {"title": 200, "source_url": 500, "kind": 30, "when": 30, "term": 120}


class EditRefused(Refused):
    """The change cannot be made as asked; `message` says why, in the page's language."""


class EditConflict(Refused):
    """Someone saved this text after the editor's page was loaded; nothing was written."""

    def __init__(self, theirs: ServiceTranslation) -> None:
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


def _record(action: str, service: Service, before: dict[str, Any], after: dict[str, Any],
            author: Author) -> None:  # fmt: skip
    audit.record(action, TARGET, service.id, before or None, after or None, author.user,
                 author.email or None)  # fmt: skip


def _moment() -> Any:
    return to_storage(now())


# --- reading ---------------------------------------------------------------------------------


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
    return (open_draft(service, language) or published_text(service, language)
            or (history[0] if history else None))  # fmt: skip


def version(service: Service, language: str, number: int) -> ServiceTranslation | None:
    """Return version `number` of a service's `language` text."""
    return next((t for t in versions(service, language) if t.version == number), None)


# --- checking what editors send ---------------------------------------------------------------


def _refuse_long(text: str, limit: int | None, name: str) -> str:
    """Refuse text over its limit: cutting it would lose what the editor typed without a word."""
    if limit and len(text) > limit:
        raise EditRefused(f"{FIELD_NAMES.get(name, name)}: {too_long(limit, len(text))}")
    return text


def _text(value: Any, limit: int | None = None, name: str = "") -> str:
    text = "" if value is None else str(value)
    text = "\n".join(line.strip() for line in text.strip().splitlines())
    return _refuse_long(text, limit, name)


def _terms(value: Any, name: str) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").splitlines()
    terms: list[str] = []
    for item in items:
        term = _refuse_long(" ".join(str(item).split()), LIMITS["term"], name)
        if term and term.lower() not in (t.lower() for t in terms):
            terms.append(term)
    return terms


def clean_text(values: dict[str, Any]) -> dict[str, Any]:
    """Return the text fields tidied (spaces, empty lines and rows dropped); refuse a bad one."""
    cleaned: dict[str, Any] = {
        name: _text(values.get(name), LIMITS.get(name), name)
        for name in TEXT_FIELDS
        if name not in ("documents", "keywords", "synonyms")
    }
    documents = []
    for item in values.get("documents") or []:
        text = _text(item.get("text"))
        when = _text(item.get("when"), LIMITS["when"], "documents") or None
        if text:
            documents.append({"text": text, "when": when})
    cleaned["documents"] = documents
    cleaned["keywords"] = _terms(values.get("keywords"), "keywords")
    cleaned["synonyms"] = _terms(values.get("synonyms"), "synonyms")
    _refuse_controls(cleaned)
    if not cleaned["title"]:
        raise EditRefused(gettext("The title is required."))
    if not cleaned["summary"]:
        raise EditRefused(gettext("The spoken summary is required."))
    return cleaned


def _refuse_controls(cleaned: dict[str, Any]) -> None:
    """Refuse a field holding a control character: it would break every call that says it."""
    for name, value in cleaned.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            texts = item.values() if isinstance(item, dict) else [item]
            for text in texts:
                character = unsafe_character(text or "", multiline=True)
                if character is not None:
                    raise EditRefused(gettext(
                        "%(field)s contains an invisible control character (%(code)s): remove it.",
                        field=FIELD_NAMES.get(name, name), code=f"U+{ord(character):04X}"))  # fmt: skip


# --- texts: draft, publish, review, restore -------------------------------------------------


def text_revision(service: Service, language: str) -> str:
    """Return what identifies the text an editor's form was loaded from: number and content.

    A draft is updated in place (its number stays), so the number alone cannot tell two
    saves of "version 2" apart; a digest of the content can.
    """
    latest = latest_text(service, language)
    if latest is None:
        return "0"
    content = json.dumps(text_values(latest), sort_keys=True, ensure_ascii=False, default=str)
    return f"{latest.version}-{hashlib.sha256(content.encode()).hexdigest()[:16]}"


def save_text(
    service: Service,
    language: str,
    fields: dict[str, Any],
    author: Author,
    seen_revision: str | None = None,
) -> ServiceTranslation | None:
    """Write `fields` into the open draft (made if needed); None if nothing changed.

    With `seen_revision` (the form's), a text saved by someone else since is never overwritten:
    `EditConflict` is raised instead.
    """
    if language not in CODES:
        raise EditRefused(gettext("Unknown language: %(code)s.", code=language[:10]))
    base = latest_text(service, language)
    if base is not None and seen_revision not in (None, text_revision(service, language)):
        raise EditConflict(base)
    before = text_values(base) if base else {}
    values = clean_text({**before, **fields})
    if before and values == clean_text(before):
        return None
    draft = open_draft(service, language)
    if draft is None:
        draft = services.draft(service, language, values, author.name)
    else:
        for name, value in values.items():
            setattr(draft, name, value)
        draft.created_by = author.name
    db.session.flush()
    old, new = audit.changes(before, values)
    _record("guide.draft", service, {"language": language, **old},
            {"language": language, "version": draft.version, **new}, author)  # fmt: skip
    return draft


def _next_number(service: Service, language: str) -> int:
    return max((t.version for t in versions(service, language)), default=0) + 1


def _approve(draft: ServiceTranslation | ServiceFacts, author: Author) -> None:
    """Refuse a publish by the draft's own author when the centre wants a second editor."""
    if current_app.config.get("GUIDE_SECOND_EDITOR") and draft.created_by == author.name:
        raise EditRefused(gettext("Another editor must check and publish this draft: "
                                  "this centre publishes nothing its author alone approved."))  # fmt: skip


def publish_text(service: Service, language: str, author: Author) -> list[str]:
    """Publish the open draft; return the languages its change marked stale."""
    draft = open_draft(service, language)
    if draft is None:
        raise EditRefused(gettext("There is no draft to publish."))
    _approve(draft, author)
    previous = published_text(service, language)
    before = text_values(previous) if previous else {}
    after = text_values(draft)
    number = _next_number(service, language)
    if draft.version != number - 1:
        draft.version = number  # a later quick publish overtook it
    stale: list[str] = []
    changed = [name for name in CONTENT_FIELDS if before.get(name) != after.get(name)]
    if language == source_language(service) and changed:
        stale = sorted(t.language for t in service.translations
                       if t.language != language and t.status == PUBLISHED)  # fmt: skip
        services.mark_others_stale(draft)
    services.publish(draft, reviewer=author.name)
    service.updated_at = _moment()
    db.session.flush()
    old, new = audit.changes(before, after)
    _record("guide.publish", service, {"language": language, **old},
            {"language": language, "version": draft.version, "stale": stale, **new}, author)  # fmt: skip
    return stale


def review_text(service: Service, language: str, author: Author) -> ServiceTranslation:
    """Confirm a stale published text is still correct: it becomes current again."""
    text = published_text(service, language)
    if text is None or text.review_state != STALE:
        raise EditRefused(gettext("This translation is not marked stale."))
    text.review_state = CURRENT
    text.reviewed_at = _moment()
    text.reviewed_by = author.name
    _record("guide.review", service, {"language": language, "review_state": STALE},
            {"language": language, "version": text.version, "review_state": CURRENT}, author)  # fmt: skip
    return text


def restore_text(
    service: Service, language: str, number: int, author: Author
) -> ServiceTranslation | None:
    """Write version `number`'s text into the draft (history is never rewritten)."""
    old = version(service, language, number)
    if old is None or old.status == DRAFT:
        raise EditRefused(gettext("There is no such version."))
    draft = save_text(service, language, text_values(old), author)
    if draft is not None:
        _record("guide.restore", service, {}, {"language": language, "from_version": number,
                                                "version": draft.version}, author)  # fmt: skip
    return draft


# --- facts: the same, for what does not depend on the language ------------------------------


def live_facts(service: Service) -> dict[str, Any]:
    """Return the facts callers get now (the Service row and its fees)."""
    return {
        "category": service.category.slug,
        "position": service.position,
        "published": service.published,
        "verified": service.verified,
        "source_url": service.source_url,
        "source_language": service.source_language,
        "delay_days": service.delay_days,
        "appointment_required": service.appointment_required,
        "presence_required": service.presence_required,
        "fees": [
            {"kind": fee.kind, "amount_dh": fee.amount_dh,
             "checked_on": fee.checked_on.isoformat() if fee.checked_on else None}
            for fee in sorted(service.fees, key=lambda f: f.position)
        ],
    }  # fmt: skip


def facts_values(facts: ServiceFacts) -> dict[str, Any]:
    """Return a facts version's values."""
    return {name: copy.deepcopy(getattr(facts, name)) for name in FACT_FIELDS}


def facts_history(service: Service) -> list[ServiceFacts]:
    """Return every version of the service's facts, newest first."""
    return sorted(service.facts_versions, key=lambda f: f.version, reverse=True)


def open_facts_draft(service: Service) -> ServiceFacts | None:
    """Return the facts draft being edited, if any."""
    return next((f for f in service.facts_versions if f.status == DRAFT), None)


def latest_facts(service: Service) -> dict[str, Any]:
    """Return what an editor works from: the open facts draft, else the live facts."""
    draft = open_facts_draft(service)
    return facts_values(draft) if draft else live_facts(service)


def _whole(value: Any, name: str, empty_ok: bool) -> int | None:
    if value in (None, "") and empty_ok:
        return None
    try:
        number = None if isinstance(value, bool) else int(str(value).strip())
    except ValueError:
        number = None
    if number is None or number < 0:
        raise EditRefused(
            gettext("%(field)s must be a whole number.", field=FIELD_NAMES.get(name, name))
        )
    return number


def _flag(value: Any) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def clean_facts(values: dict[str, Any]) -> dict[str, Any]:
    """Return the facts checked and tidied; refuse an unknown category, a bad number or date."""
    slugs = {c.slug for c in all_categories()}
    category = _text(values.get("category"))
    if category not in slugs:
        raise EditRefused(gettext("Unknown category: %(slug)s.", slug=category[:60]))
    source = _text(values.get("source_language")) or None
    if source is not None and source not in CODES:
        raise EditRefused(gettext("Unknown language: %(code)s.", code=source[:10]))
    fees: list[dict[str, Any]] = []
    for fee in values.get("fees") or []:
        kind = _text(fee.get("kind"), LIMITS["kind"], "fees")
        if not kind and fee.get("amount_dh") in (None, ""):
            continue  # an empty row of the form
        if not kind:
            raise EditRefused(gettext("Each fee needs a kind (standard, adult, minor...)."))
        if kind in (f["kind"] for f in fees):
            raise EditRefused(gettext("Two fees have the same kind: %(kind)s.", kind=kind))
        checked = fee.get("checked_on")
        if isinstance(checked, date):
            checked = checked.isoformat()
        checked = _text(checked) or None
        if checked is not None:
            try:
                checked = date.fromisoformat(checked).isoformat()
            except ValueError:
                raise EditRefused(gettext("Dates are written YYYY-MM-DD.")) from None
        fees.append({"kind": kind, "amount_dh": _whole(fee.get("amount_dh"), kind, False),
                     "checked_on": checked})  # fmt: skip
    source_url = _text(values.get("source_url"), LIMITS["source_url"], "source_url")
    if source_url and not is_web_link(source_url):
        raise EditRefused(
            gettext("The source link must be a web address starting with http:// or https://.")
        )
    _refuse_controls({"fees": [{"kind": fee["kind"]} for fee in fees]})
    return {
        "category": category,
        "position": _whole(values.get("position"), "position", False),
        "published": bool(_flag(values.get("published"))),
        "verified": bool(_flag(values.get("verified"))),
        "source_url": source_url,
        "source_language": source,
        "delay_days": _whole(values.get("delay_days"), "delay_days", True),
        "appointment_required": _flag(values.get("appointment_required")),
        "presence_required": _flag(values.get("presence_required")),
        "fees": fees,
    }


def _baseline(service: Service) -> None:
    """Keep the live facts as version 1 before the first edit, so it can be compared and restored."""
    if not service.facts_versions:
        moment = _moment()
        service.facts_versions.append(
            ServiceFacts(
                version=1,
                status=PUBLISHED,
                created_at=moment,
                created_by="seed",
                published_at=moment,
                **live_facts(service),
            )  # fmt: skip
        )


def save_facts(service: Service, fields: dict[str, Any], author: Author) -> ServiceFacts | None:
    """Write `fields` into the open facts draft (made if needed); None if nothing changed."""
    before = latest_facts(service)
    values = clean_facts({**before, **fields})
    if values == clean_facts(before):
        return None
    _baseline(service)
    draft = open_facts_draft(service)
    if draft is None:
        number = max(f.version for f in service.facts_versions) + 1
        draft = ServiceFacts(version=number, status=DRAFT, created_at=_moment(), **values)
        service.facts_versions.append(draft)
    else:
        for name, value in values.items():
            setattr(draft, name, value)
    draft.created_by = author.name
    db.session.flush()
    old, new = audit.changes(before, values)
    _record("guide.facts_draft", service, old, {"version": draft.version, **new}, author)
    return draft


def _apply_fees(service: Service, fees: list[dict[str, Any]]) -> None:
    """Make the Fee rows match `fees`, updating by kind (the kind is unique per service)."""
    rows = {fee.kind: fee for fee in service.fees}
    for position, item in enumerate(fees):
        checked = date.fromisoformat(item["checked_on"]) if item["checked_on"] else None
        row = rows.pop(item["kind"], None)
        if row is None:
            service.fees.append(Fee(kind=item["kind"], amount_dh=item["amount_dh"],
                                    checked_on=checked, position=position))  # fmt: skip
            continue
        for name, value in (("amount_dh", item["amount_dh"]), ("checked_on", checked),
                            ("position", position)):  # fmt: skip
            if getattr(row, name) != value:
                setattr(row, name, value)
    for row in rows.values():
        service.fees.remove(row)


def publish_facts(service: Service, author: Author) -> list[str]:
    """Publish the open facts draft onto the service; return the languages marked stale."""
    draft = open_facts_draft(service)
    if draft is None:
        raise EditRefused(gettext("There is no draft to publish."))
    _approve(draft, author)
    before, after = live_facts(service), facts_values(draft)
    top = max(f.version for f in service.facts_versions)
    if draft.version != top:
        draft.version = top + 1
    for other in service.facts_versions:
        if other.status == PUBLISHED:
            other.status = ARCHIVED
    draft.status = PUBLISHED
    draft.published_at = _moment()
    category = db.session.scalar(sa.select(Category).where(Category.slug == after["category"]))
    if category is None:  # removed since the draft was saved
        raise EditRefused(gettext("Unknown category: %(slug)s.", slug=after["category"]))
    if service.category_id != category.id:
        service.category = category
    for name in FACT_FIELDS:
        if name not in ("category", "fees") and getattr(service, name) != after[name]:
            setattr(service, name, after[name])
    _apply_fees(service, after["fees"])
    stale: list[str] = []
    if any(before[name] != after[name] for name in FACTS_CALLERS_HEAR):
        for text in service.translations:
            if text.status == PUBLISHED and text.review_state != STALE:
                text.review_state = STALE
                stale.append(text.language)
    service.updated_at = _moment()
    db.session.flush()
    old, new = audit.changes(before, after)
    _record("guide.facts_publish", service, old,
            {"version": draft.version, "stale": sorted(stale), **new}, author)  # fmt: skip
    return sorted(stale)


def restore_facts(service: Service, number: int, author: Author) -> ServiceFacts | None:
    """Write facts version `number` into the facts draft (history is never rewritten)."""
    old = next((f for f in service.facts_versions if f.version == number), None)
    if old is None or old.status == DRAFT:
        raise EditRefused(gettext("There is no such version."))
    draft = save_facts(service, facts_values(old), author)
    if draft is not None:
        _record("guide.facts_restore", service, {},
                {"from_version": number, "version": draft.version}, author)  # fmt: skip
    return draft


def create_service(slug: str, category_slug: str, author: Author) -> Service:
    """Add a service, unpublished, with its first facts as a draft; editors then write its texts."""
    slug = slug.strip().lower()
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) or len(slug) > 60:
        raise EditRefused(gettext("A slug is made of lower-case letters, digits and hyphens."))
    if service_by_slug(slug) is not None:
        raise EditRefused(gettext("A service with this slug already exists."))
    category = db.session.scalar(sa.select(Category).where(Category.slug == category_slug))
    if category is None:
        raise EditRefused(gettext("Unknown category: %(slug)s.", slug=category_slug[:60]))
    position = 1 + max((s.position for s in category.services), default=-1)
    moment = _moment()
    service = Service(slug=slug, category=category, position=position, verified=False,
                      source_url="", delay_days=None, appointment_required=None,
                      presence_required=None, published=False, updated_at=moment)  # fmt: skip
    db.session.add(service)
    db.session.flush()
    _record("guide.create", service, {}, {"slug": slug, "category": category.slug}, author)
    return service


# --- unmatched phrases ------------------------------------------------------------------------


def phrase(phrase_id: int) -> UnmatchedPhrase | None:
    """Return an unmatched phrase by id."""
    return db.session.get(UnmatchedPhrase, phrase_id)


def add_synonym(found: UnmatchedPhrase, service: Service, author: Author) -> ServiceTranslation:
    """Publish the phrase as a synonym of the service in its language, effective on the next call.

    It becomes a new published version (the review state is kept: a synonym is not a review),
    and is added to the open draft too, so publishing that draft does not drop it.
    """
    language = found.language
    current = published_text(service, language)
    if current is None:
        raise EditRefused(gettext("This service has no published text in this language."))
    term = " ".join(found.phrase.split())[: LIMITS["term"]]
    moment = _moment()
    values = text_values(current)
    if term.lower() not in (t.lower() for t in values["synonyms"] + values["keywords"]):
        values["synonyms"] = [*values["synonyms"], term]
        added = ServiceTranslation(
            service=service, language=language, version=_next_number(service, language),
            status=PUBLISHED, review_state=current.review_state, created_at=moment,
            created_by=author.name, reviewed_at=current.reviewed_at,
            reviewed_by=current.reviewed_by, published_at=moment, **values,
        )  # fmt: skip
        current.status = ARCHIVED
        db.session.add(added)
        current = added
    draft = open_draft(service, language)
    if draft is not None and term.lower() not in (t.lower() for t in draft.synonyms):
        draft.synonyms = [*draft.synonyms, term]
    found.resolved_at = moment
    db.session.flush()
    _record("guide.synonym", service, {}, {"language": language, "synonym": term,
                                           "version": current.version, "phrase_id": found.id},
            author)  # fmt: skip
    return current


def dismiss(found: UnmatchedPhrase, author: Author) -> None:
    """Take a phrase off the editors' list without adding it anywhere."""
    found.resolved_at = _moment()
    audit.record("guide.dismiss", "guide_phrase", found.id, None,
                 {"language": found.language, "phrase": found.phrase}, author.user,
                 author.email or None)  # fmt: skip


# --- the translation status of the whole guide ------------------------------------------------


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
        sa.select(ServiceTranslation.service_id, ServiceTranslation.language,
                  ServiceTranslation.status, ServiceTranslation.review_state,
                  ServiceTranslation.version)
        .where(ServiceTranslation.status.in_((PUBLISHED, DRAFT)))
    )  # fmt: skip
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
