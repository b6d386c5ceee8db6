"""The editors' work on the guide: a service's facts: the same, for what does not depend on the language."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from centre.extensions import db
from centre.languages import CODES
from centre.plaintext import is_web_link
from knowledge.editing.base import (
    FACT_FIELDS,
    FACTS_CALLERS_HEAR,
    FIELD_NAMES,
    LIMITS,
    Author,
    EditRefused,
    FactsConflict,
    _moment,
    _record,
)
from knowledge.editing.checking import _refuse_controls, _text
from knowledge.editing.reading import all_categories, service_by_slug
from knowledge.editing.texts import _approve
from knowledge.models import (
    ARCHIVED,
    DRAFT,
    PUBLISHED,
    STALE,
    Category,
    Fee,
    Service,
    ServiceFacts,
)
from staff import audit


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
            {
                "kind": fee.kind,
                "amount_dh": fee.amount_dh,
                "checked_on": fee.checked_on.isoformat() if fee.checked_on else None,
            }
            for fee in sorted(service.fees, key=lambda f: f.position)
        ],
    }


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


def facts_revision(service: Service) -> str:
    """Return what identifies the facts an editor's form was loaded from: number and content.

    As for texts, the draft is updated in place (its number stays): a digest of the content
    tells two saves of the same draft apart.
    """
    number = max((f.version for f in service.facts_versions), default=0)
    content = json.dumps(latest_facts(service), sort_keys=True, ensure_ascii=False, default=str)
    return f"{number}-{hashlib.sha256(content.encode()).hexdigest()[:16]}"


def newest_facts(service: Service) -> ServiceFacts | None:
    """Return the newest facts version (the open draft, if any), or None before the first edit."""
    return max(service.facts_versions, key=lambda f: f.version, default=None)


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
        fees.append(
            {
                "kind": kind,
                "amount_dh": _whole(fee.get("amount_dh"), kind, False),
                "checked_on": checked,
            }
        )
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
            )
        )


def save_facts(
    service: Service, fields: dict[str, Any], author: Author, seen_revision: str | None = None
) -> ServiceFacts | None:
    """Write `fields` into the open facts draft (made if needed); None if nothing changed.

    With `seen_revision` (the form's), facts saved by someone else since are never overwritten:
    `FactsConflict` is raised instead.
    """
    if seen_revision is not None and seen_revision != facts_revision(service):
        theirs = newest_facts(service)
        if theirs is not None:
            raise FactsConflict(theirs)
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
            service.fees.append(
                Fee(
                    kind=item["kind"],
                    amount_dh=item["amount_dh"],
                    checked_on=checked,
                    position=position,
                )
            )
            continue
        for name, value in (
            ("amount_dh", item["amount_dh"]),
            ("checked_on", checked),
            ("position", position),
        ):
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
    _record(
        "guide.facts_publish",
        service,
        old,
        {"version": draft.version, "stale": sorted(stale), **new},
        author,
    )
    return sorted(stale)


def restore_facts(service: Service, number: int, author: Author) -> ServiceFacts | None:
    """Write facts version `number` into the facts draft (history is never rewritten)."""
    old = next((f for f in service.facts_versions if f.version == number), None)
    if old is None or old.status == DRAFT:
        raise EditRefused(gettext("There is no such version."))
    draft = save_facts(service, facts_values(old), author)
    if draft is not None:
        _record(
            "guide.facts_restore",
            service,
            {},
            {"from_version": number, "version": draft.version},
            author,
        )
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
    service = Service(
        slug=slug,
        category=category,
        position=position,
        verified=False,
        source_url="",
        delay_days=None,
        appointment_required=None,
        presence_required=None,
        published=False,
        updated_at=moment,
    )
    db.session.add(service)
    db.session.flush()
    _record("guide.create", service, {}, {"slug": slug, "category": category.slug}, author)
    return service
