"""A status change from either feed: checked field by field, then applied in batches.

Both feeds (the CSV import and the push API) go through `parse_change` and `apply_changes`,
so they accept the same values and are idempotent the same way: a change is known by its
case's reference and its `updated_at`; a second report of it changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.dialects import postgresql

from cases.models import NEWSWORTHY, STATUSES, Case, CaseEvent
from cases.references import birth_date_proof, is_well_formed
from cases.wording import DOCUMENTS, CaseNews, message_text
from centre import languages, phones
from centre.clock import now, to_storage
from centre.extensions import db
from centre.messaging import send_sms
from centre.plaintext import ControlCharacter, refuse_controls
from knowledge import services as guide

REQUIRED = ("reference", "status", "updated_at")
OPTIONAL = (
    "birth_date",
    "service",
    "phone",
    "language",
    "missing_documents",
    "consulate",
    "expected_date",
)
FIELDS = REQUIRED + OPTIONAL
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SEPARATORS = re.compile(r"[;,\s]+")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
FUTURE_SKEW = timedelta(days=1)
OLDEST_BIRTH = date(1900, 1, 1)


class ChangeError(ValueError):
    """A change that cannot be accepted; the message says why."""


@dataclass(frozen=True)
class Change:
    """One status change of one case, checked; `values` holds only the fields it sets."""

    reference: str
    status: str
    updated_at: datetime  # naive UTC
    values: Mapping[str, Any] = field(default_factory=dict)


def _day(name: str, raw: str) -> date:
    if not _DAY.fullmatch(raw):
        raise ChangeError(f"{name} must be a date such as 1984-03-05, not {raw[:30]!r}")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ChangeError(f"{name} {raw!r} is not a real date") from exc


def _moment(raw: str, moment: datetime) -> datetime:
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ChangeError(
            f"updated_at must be an ISO date-time such as 2026-11-20T09:30:00+01:00, not {raw[:40]!r}"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # documented: a time without offset is UTC
    try:
        if parsed > moment + FUTURE_SKEW:
            raise ChangeError(f"updated_at {raw!r} is in the future")
        return to_storage(parsed)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before the first moment UTC can hold
        raise ChangeError(f"updated_at {raw[:40]!r} is out of range") from None


def _text(name: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ChangeError(f"{name} is not a text value")
    text = str(value).strip()
    try:
        refuse_controls(text)
    except ControlCharacter as refused:
        raise ChangeError(f"{name} contains the control character {refused.code}") from None
    return text or None


def _documents(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        codes = [str(code).strip() for code in value]
    else:
        codes = _SEPARATORS.split(_text("missing_documents", value) or "")
    codes = [code for code in codes if code]
    unknown = [code for code in codes if code not in DOCUMENTS]
    if unknown:
        raise ChangeError(f"unknown document {unknown[0][:40]!r} (known: {', '.join(DOCUMENTS)})")
    return tuple(dict.fromkeys(codes))


def parse_change(
    raw: Mapping[str, object],
    hash_key: str,
    moment: datetime,
    services: Collection[str] | None = None,
) -> Change:
    """Check one change (a CSV row or a JSON object); absent optional fields are left as they are.

    A present but empty optional field clears it (`expected_date`, `consulate`, ...). The
    date of birth becomes a keyed proof here and goes no further. Given the guide's
    `services` (`known_services()`), a service it does not have is refused.
    """
    texts = {
        name: _text(name, raw[name])
        for name in FIELDS
        if name in raw and name != "missing_documents"
    }
    for name in REQUIRED:
        if not texts.get(name):
            raise ChangeError(f"{name} is missing")
    reference = texts["reference"] or ""
    if not is_well_formed(reference):
        raise ChangeError(
            f"reference {reference[:20]!r} is not ten digits with a valid check digit"
        )
    status = texts["status"] or ""
    if status not in STATUSES:
        raise ChangeError(f"status {status[:30]!r} is not one of {', '.join(STATUSES)}")
    updated_at = _moment(texts["updated_at"] or "", moment)
    values: dict[str, Any] = {"status": status}
    if texts.get("birth_date"):
        born = _day("birth_date", texts["birth_date"] or "")
        if not OLDEST_BIRTH <= born <= moment.date():
            raise ChangeError("birth_date is not a plausible date of birth")
        values["birth_date_proof"] = birth_date_proof(reference, born, hash_key)
    if texts.get("service"):
        service = texts["service"] or ""
        if len(service) > 80 or not _SLUG.fullmatch(service):
            raise ChangeError(
                f"service {service[:30]!r} is not a guide slug (e.g. passport-renewal)"
            )
        if services is not None and service not in services:
            raise ChangeError(f"service {service!r} is not a service of the guide")
        values["service"] = service
    if "phone" in texts:
        number = texts["phone"]
        hashed = None
        if number is not None:
            # The E.164 shape first (cheap), then the number plan (what the hash needs anyway).
            if _E164.fullmatch(number):
                hashed = phones.keyed_hash(number, hash_key)
            if hashed is None:
                raise ChangeError("phone is not a number in international form (+33612345678)")
        values["phone_number"] = number
        values["phone_hash"] = hashed
    if "language" in texts:
        language = texts["language"]
        if language is not None and language not in languages.BY_CODE:
            raise ChangeError(
                f"language {language[:10]!r} is not one of {' '.join(languages.CODES)}"
            )
        values["language"] = language
    if "missing_documents" in raw:
        values["missing_documents"] = " ".join(_documents(raw["missing_documents"]))
    if "consulate" in texts:
        consulate = texts["consulate"]
        if consulate is not None and len(consulate) > 80:
            raise ChangeError("consulate is longer than 80 characters")
        values["consulate"] = consulate
    if "expected_date" in texts:
        expected = texts["expected_date"]
        values["expected_date"] = _day("expected_date", expected) if expected else None
    if status != "awaiting_documents":
        values["missing_documents"] = ""  # only meaningful while documents are awaited
    return Change(reference, status, updated_at, values)


@dataclass
class Applied:
    """What a batch of changes did."""

    created: int = 0
    applied: int = 0  # changes that became the case's current state (creations included)
    history_only: int = 0  # older than what the case shows: kept in its history only
    duplicates: int = 0  # already received (same reference and updated_at)
    notified: int = 0
    results: list[str] = field(
        default_factory=list
    )  # per change: created|applied|history|duplicate

    def add(self, other: Applied) -> None:
        """Add another batch's counts to these (results are not kept across batches)."""
        self.created += other.created
        self.applied += other.applied
        self.history_only += other.history_only
        self.duplicates += other.duplicates
        self.notified += other.notified


CASE_COLUMNS = [column.key for column in Case.__table__.columns]


def apply_changes(changes: Sequence[Change], source: str) -> Applied:
    """Apply a batch of checked changes in the current transaction: bulk reads, bulk writes.

    The latest `updated_at` wins; an older change only joins the history. A case seen for
    the first time needs its service and date of birth. A change of an existing case to a
    status the applicant must act on texts them, once.
    """
    result = Applied()
    if not changes:
        return result
    moment = to_storage(now())
    references = {change.reference for change in changes}
    cases: dict[str, dict[str, Any]] = {
        row.reference: dict(row._mapping)
        for row in db.session.execute(
            sa.select(Case.__table__).where(_among(Case.reference, references))
        )
    }
    known_ids = {case["id"]: case for case in cases.values()}
    seen: set[tuple[Any, datetime]] = set()
    if known_ids:
        query = sa.select(CaseEvent.case_id, CaseEvent.changed_at).where(
            _among(CaseEvent.case_id, known_ids),
            _among(CaseEvent.changed_at, {change.updated_at for change in changes}),
        )
        seen = {(row.case_id, row.changed_at) for row in db.session.execute(query)}

    created: dict[str, dict[str, Any]] = {}
    changed: dict[str, dict[str, Any]] = {}
    events: list[tuple[str, dict[str, Any]]] = []
    news: list[tuple[str, dict[str, Any]]] = []
    for index, change in enumerate(changes):
        case = cases.get(change.reference)
        if case is None:
            missing = [
                name for name in ("service", "birth_date_proof") if name not in change.values
            ]
            if missing:
                label = "birth_date" if missing[0] == "birth_date_proof" else missing[0]
                raise ChangeError(f"change {index + 1}: a new case needs its {label}")
            case = {
                "reference": change.reference,
                "missing_documents": "",
                "consulate": None,
                "expected_date": None,
                "language": None,
                "phone_hash": None,
                "phone_number": None,
                "created_at": moment,
                **change.values,
                "updated_at": change.updated_at,
            }
            cases[change.reference] = created[change.reference] = case
            seen.add((change.reference, change.updated_at))
            events.append((change.reference, _event(change, moment, source, None)))
            result.created += 1
            result.applied += 1
            result.results.append("created")
            continue
        key = (case.get("id", change.reference), change.updated_at)
        if key in seen:
            result.duplicates += 1
            result.results.append("duplicate")
            continue
        seen.add(key)
        notified = None
        if change.updated_at > case["updated_at"]:
            previous = case["status"]
            case.update(change.values, updated_at=change.updated_at)
            if "id" in case:
                changed[change.reference] = case
            if change.status in NEWSWORTHY and change.status != previous:
                notified = "sms" if case["phone_number"] else "no_phone"
                news.append((notified, dict(case)))
            result.applied += 1
            result.results.append("applied")
        else:
            result.history_only += 1
            result.results.append("history")
        events.append((change.reference, _event(change, moment, source, notified)))

    if created:
        columns = [name for name in CASE_COLUMNS if name != "id"]
        _insert_many(
            Case.__table__, columns, [[case[n] for n in columns] for case in created.values()]
        )
        ids = sa.select(Case.id, Case.reference).where(_among(Case.reference, created))
        for row in db.session.execute(ids):
            created[row.reference]["id"] = row.id
    if changed:
        table = Case.__table__
        db.session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("case_id"))
            .values({name: sa.bindparam(f"new_{name}") for name in CASE_COLUMNS if name != "id"}),
            [
                {"case_id": case["id"], **{f"new_{n}": case[n] for n in CASE_COLUMNS if n != "id"}}
                for case in changed.values()
            ],
        )
    if events:
        columns = ["case_id", *EVENT_COLUMNS]
        _insert_many(
            CaseEvent.__table__,
            columns,
            [
                [cases[reference]["id"], *(event[n] for n in EVENT_COLUMNS)]
                for reference, event in events
            ],
        )
    for notified, case in news:
        if notified == "sms":
            _text_news(case)
            result.notified += 1
    return result


def _among(column: Any, values: Iterable[Any]) -> Any:
    """Return `column IN values`; on PostgreSQL as `= ANY(array)`, one parameter however many."""
    values = sorted(values)
    if db.session.connection().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def allow_long_statements() -> None:
    """Lift the per-statement timeout for the rest of this transaction (a bulk import's own)."""
    if db.session.connection().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL statement_timeout = 0"))


def refresh_statistics() -> None:
    """Let PostgreSQL's planner see the rows a long import has added so far (its own included).

    Without statistics, a table that was empty when the import began looks empty to the
    planner, which then scans all of it for every batch instead of using the indexes.
    """
    if db.session.connection().dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE cases, case_events"))


EVENT_COLUMNS = ["status", "changed_at", "received_at", "source", "notified"]


def _insert_many(table: sa.Table, columns: list[str], rows: list[list[Any]]) -> None:
    """Insert rows in the current transaction: COPY on PostgreSQL, executemany elsewhere."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    # COPY is several times faster than multi-row INSERTs for thousands of rows.
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    driver = connection.connection.driver_connection
    assert driver is not None  # a connection in use holds its psycopg connection
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        # The same errors as an INSERT's (IntegrityError, OperationalError...), so callers
        # settle races and timeouts the same way.
        raise sa.exc.DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


def _event(change: Change, moment: datetime, source: str, notified: str | None) -> dict[str, Any]:
    return {
        "status": change.status,
        "changed_at": change.updated_at,
        "received_at": moment,
        "source": source[:60],
        "notified": notified,
    }


def news_of(case: Case) -> CaseNews:
    """Return what an applicant may hear about a stored case."""
    return case_news({name: getattr(case, name) for name in CASE_COLUMNS})


def case_news(case: Mapping[str, Any]) -> CaseNews:
    """Return what an applicant may hear about a case, from its columns."""
    return CaseNews(
        reference=case["reference"],
        status=case["status"],
        missing_documents=tuple((case["missing_documents"] or "").split()),
        consulate=case["consulate"],
        expected_date=case["expected_date"],
        updated_at=case["updated_at"],
    )


def _text_news(case: Mapping[str, Any]) -> None:
    language = languages.get(case["language"])
    with force_locale(language.code):
        body = message_text(case_news(case), language.babel_locale, proactive=True)
    send_sms(case["phone_number"], body, language.code, purpose=f"case:{case['status']}")


def known_services() -> frozenset[str]:
    """Return the slugs of the guide's services, the only ones a change may name."""
    return frozenset(guide.service_slugs())


def hash_key() -> str:
    """Return the key of the case's keyed hashes (the phone-number key)."""
    return current_app.config["PHONE_HASH_KEY"]
