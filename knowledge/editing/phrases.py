"""The editors' work on the guide: unmatched phrases, made synonyms, example questions or dismissed."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from centre.extensions import db
from centre.formatting import isolated, page_number
from centre.plaintext import unsafe_character
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
from knowledge.normalise import normalise
from staff import audit


def phrase(phrase_id: int) -> UnmatchedPhrase | None:
    """Return an unmatched phrase by id."""
    return db.session.get(UnmatchedPhrase, phrase_id)


def _live_text(found: UnmatchedPhrase, service: Service) -> ServiceTranslation:
    """Return the text callers of the phrase's language hear; refuse when there is none."""
    current = published_text(service, found.language)
    if current is None:
        raise EditRefused(gettext("This service has no published text in this language."))
    return current


def _publish_values(
    current: ServiceTranslation, values: dict[str, Any], author: Author, moment: Any
) -> ServiceTranslation:
    """Publish `values` as the next version of `current`'s text, effective on the next call.

    The review state is kept: adding how callers say things is not a review of the text.
    """
    added = ServiceTranslation(
        service=current.service,
        language=current.language,
        version=_next_number(current.service, current.language),
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
    return added


def add_synonym(found: UnmatchedPhrase, service: Service, author: Author) -> ServiceTranslation:
    """Publish the phrase as a synonym of the service in its language, effective on the next call.

    It becomes a new published version (the review state is kept: a synonym is not a review),
    and is added to the open draft too, so publishing that draft does not drop it.
    """
    language = found.language
    current = _live_text(found, service)
    term = " ".join(found.phrase.split())[: LIMITS["term"]]
    moment = _moment()
    values = text_values(current)
    if term.lower() not in (t.lower() for t in values["synonyms"] + values["keywords"]):
        values["synonyms"] = [*values["synonyms"], term]
        current = _publish_values(current, values, author, moment)
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


def example_of(found: UnmatchedPhrase, service: Service) -> str:
    """Return the phrase as it would be written into the service's example questions.

    Refused, before anything is shown as possible: a phrase longer than an example may be (it
    is not cut: an example question is a whole situation), and one the service's published
    examples already hold as the search reads them (case, accents, filler words aside).
    """
    example = " ".join(found.phrase.split())
    if len(example) > LIMITS["term"]:
        raise EditRefused(
            gettext(
                "This phrase is too long to be an example question: %(length)s characters where "
                "at most %(limit)s are kept. Write a shorter one in the service's text instead.",
                length=page_number(len(example)),
                limit=page_number(LIMITS["term"]),
            )
        )
    character = unsafe_character(example)
    if character is not None:
        raise EditRefused(
            gettext(
                "This phrase contains an invisible control character (%(code)s): it cannot "
                "become an example question.",
                code=f"U+{ord(character):04X}",
            )
        )
    said = normalise(example, found.language)
    for existing in _live_text(found, service).examples or []:
        if normalise(existing, found.language) == said:
            raise EditRefused(
                gettext(
                    "This service already has this example question: “%(example)s”. "
                    "Nothing was added.",
                    example=isolated(existing),
                )
            )
    return example


def add_example(found: UnmatchedPhrase, service: Service, author: Author) -> ServiceTranslation:
    """Publish the phrase as an example question of the service in its language, from the next call.

    As a synonym from this list is: a new published version by the editor who confirmed it (the
    review state is kept), the example also written into the open draft so that publishing the
    draft does not drop it, the phrase taken off the list, the change in the audit log.
    """
    language = found.language
    example = example_of(found, service)
    moment = _moment()
    current = _live_text(found, service)
    values = text_values(current)
    values["examples"] = [*values["examples"], example]
    current = _publish_values(current, values, author, moment)
    draft = open_draft(service, language)
    if draft is not None and example.lower() not in (e.lower() for e in draft.examples or []):
        draft.examples = [*(draft.examples or []), example]
    found.resolved_at = moment
    db.session.flush()
    _record(
        "guide.example",
        service,
        {},
        {
            "language": language,
            "example": example,
            "version": current.version,
            "phrase_id": found.id,
        },
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
