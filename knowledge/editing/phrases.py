"""The editors' work on the guide: unmatched phrases, made synonyms or dismissed."""

from __future__ import annotations

from flask_babel import gettext

from centre.extensions import db
from knowledge.editing.base import LIMITS, Author, EditRefused, _moment, _record
from knowledge.editing.reading import open_draft, published_text, text_values
from knowledge.editing.texts import _next_number
from knowledge.models import (
    ARCHIVED,
    PUBLISHED,
    Service,
    ServiceTranslation,
    UnmatchedPhrase,
)
from staff import audit


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
            service=service,
            language=language,
            version=_next_number(service, language),
            status=PUBLISHED,
            review_state=current.review_state,
            created_at=moment,
            created_by=author.name,
            reviewed_at=current.reviewed_at,
            reviewed_by=current.reviewed_by,
            published_at=moment,
            **values,
        )
        current.status = ARCHIVED
        db.session.add(added)
        current = added
    draft = open_draft(service, language)
    if draft is not None and term.lower() not in (t.lower() for t in draft.synonyms):
        draft.synonyms = [*draft.synonyms, term]
    found.resolved_at = moment
    db.session.flush()
    _record(
        "guide.synonym",
        service,
        {},
        {"language": language, "synonym": term, "version": current.version, "phrase_id": found.id},
        author,
    )
    return current


def dismiss(found: UnmatchedPhrase, author: Author) -> None:
    """Take a phrase off the editors' list without adding it anywhere."""
    found.resolved_at = _moment()
    audit.record(
        "guide.dismiss",
        "guide_phrase",
        found.id,
        None,
        {"language": found.language, "phrase": found.phrase},
        author.user,
        author.email or None,
    )
