"""The editors' work on the guide: a service's texts: draft, publish, review, restore."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import current_app
from flask_babel import gettext

from centre.extensions import db
from centre.languages import CODES
from knowledge import services
from knowledge.editing.base import (
    CONTENT_FIELDS,
    Author,
    EditConflict,
    EditRefused,
    _moment,
    _record,
)
from knowledge.editing.checking import clean_text
from knowledge.editing.reading import (
    latest_text,
    open_draft,
    published_text,
    source_language,
    text_values,
    version,
    versions,
)
from knowledge.models import (
    CURRENT,
    DRAFT,
    PUBLISHED,
    STALE,
    Service,
    ServiceFacts,
    ServiceTranslation,
)
from staff import audit


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
    _record(
        "guide.draft",
        service,
        {"language": language, **old},
        {"language": language, "version": draft.version, **new},
        author,
    )
    return draft


def _next_number(service: Service, language: str) -> int:
    return max((t.version for t in versions(service, language)), default=0) + 1


def _approve(draft: ServiceTranslation | ServiceFacts, author: Author) -> None:
    """Refuse a publish by the draft's own author when the centre wants a second editor."""
    if current_app.config.get("GUIDE_SECOND_EDITOR") and draft.created_by == author.name:
        raise EditRefused(
            gettext(
                "Another editor must check and publish this draft: "
                "this centre publishes nothing its author alone approved."
            )
        )


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
        stale = sorted(
            t.language
            for t in service.translations
            if t.language != language and t.status == PUBLISHED
        )
        services.mark_others_stale(draft)
    services.publish(draft, reviewer=author.name)
    service.updated_at = _moment()
    db.session.flush()
    old, new = audit.changes(before, after)
    _record(
        "guide.publish",
        service,
        {"language": language, **old},
        {"language": language, "version": draft.version, "stale": stale, **new},
        author,
    )
    return stale


def review_text(service: Service, language: str, author: Author) -> ServiceTranslation:
    """Confirm a stale published text is still correct: it becomes current again."""
    text = published_text(service, language)
    if text is None or text.review_state != STALE:
        raise EditRefused(gettext("This translation is not marked stale."))
    text.review_state = CURRENT
    text.reviewed_at = _moment()
    text.reviewed_by = author.name
    _record(
        "guide.review",
        service,
        {"language": language, "review_state": STALE},
        {"language": language, "version": text.version, "review_state": CURRENT},
        author,
    )
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
        _record(
            "guide.restore",
            service,
            {},
            {"language": language, "from_version": number, "version": draft.version},
            author,
        )
    return draft
