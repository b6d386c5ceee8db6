"""What a case's status means for the applicant, in their language: on the phone and by SMS.

Call these under `force_locale(...)`: every sentence is gettext, every date is Babel's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date
from babel.lists import format_list
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from centre.clock import CENTRE_TZ, from_storage

# The documents the back office may ask for, by the code its feeds use.
DOCUMENTS = {
    "photos": _l("two identity photographs"),
    "birth_certificate": _l("a full copy of your birth certificate"),
    "proof_of_address": _l("a proof of address"),
    "residence_permit": _l("a copy of your residence permit"),
    "previous_passport": _l("your previous passport"),
    "national_id": _l("your national identity card"),
    "marriage_certificate": _l("your marriage certificate"),
    "family_record": _l("your family record book"),
    "parental_consent": _l("the consent of both parents"),
    "fee_receipt": _l("the receipt for the fee"),
    "police_report": _l("the police report of the loss or theft"),
    "death_certificate": _l("the death certificate"),
}


@dataclass(frozen=True)
class CaseNews:
    """What the applicant needs to hear about their case (no personal data)."""

    reference: str
    status: str
    missing_documents: tuple[str, ...]
    consulate: str | None
    expected_date: date | None
    updated_at: datetime  # naive UTC, as stored


def spoken_day(day: date, locale: str, format: str = "full") -> str:
    """Return a calendar day as the locale says it, e.g. "Tuesday, 1 December 2026"."""
    return format_date(day, format, locale=locale)


def status_sentences(news: CaseNews, locale: str) -> list[str]:
    """Return the status and what happens next, as sentences in the current locale."""
    expected = spoken_day(news.expected_date, locale) if news.expected_date else None
    status = news.status
    if status in ("received", "in_review"):
        sentences = [
            gettext("Your application has been received and will be examined shortly.")
            if status == "received"
            else gettext("Your application is being examined.")
        ]
        if expected:
            sentences.append(gettext("We expect to complete it by %(date)s.", date=expected))
        else:
            sentences.append(gettext("We will send you a text message when there is news."))
        return sentences
    if status == "awaiting_documents":
        sentences = [gettext("Your application is on hold: we need more documents from you.")]
        names = [str(DOCUMENTS[code]) for code in news.missing_documents if code in DOCUMENTS]
        if names:
            sentences.append(
                gettext(
                    "The documents still missing are: %(documents)s.",
                    documents=format_list(names, locale=locale),
                )
            )
        else:
            sentences.append(gettext("An agent can tell you which documents are missing."))
        if news.consulate:
            sentences.append(
                gettext(
                    "Please bring them to the consulate in %(consulate)s.",
                    consulate=news.consulate,
                )
            )
        else:
            sentences.append(gettext("Please bring them to your consulate."))
        if expected:
            sentences.append(gettext("Please provide them by %(date)s.", date=expected))
        return sentences
    if status == "ready_for_collection":
        sentences = [gettext("Your document is ready.")]
        if news.consulate:
            sentences.append(
                gettext(
                    "You can collect it at the consulate in %(consulate)s, during its opening hours.",
                    consulate=news.consulate,
                )
            )
        else:
            sentences.append(
                gettext("You can collect it at your consulate, during its opening hours.")
            )
        sentences.append(gettext("Please bring your receipt and an identity document."))
        if expected:
            sentences.append(gettext("Please collect it by %(date)s.", date=expected))
        return sentences
    if status == "collected":
        day = from_storage(news.updated_at).astimezone(CENTRE_TZ).date()
        return [
            gettext("Your document was collected on %(date)s.", date=spoken_day(day, locale)),
            gettext("Nothing more is needed."),
        ]
    if status == "rejected":
        return [
            gettext("Your application has been refused."),
            gettext("A letter explains the reasons; an agent can tell you more."),
        ]
    return [
        gettext("Your application has been cancelled."),
        gettext("If you did not ask for this, please speak to an agent."),
    ]


def message_text(news: CaseNews, locale: str, proactive: bool) -> str:
    """Return the SMS about the case: news of a change, or the status asked for by phone."""
    if proactive:
        heading = gettext(
            "Consular services: news of your application %(reference)s.",
            reference=news.reference,
        )
    else:
        heading = gettext(
            "Consular services: your application %(reference)s.", reference=news.reference
        )
    return " ".join([heading, *status_sentences(news, locale)])
