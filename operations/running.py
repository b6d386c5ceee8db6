"""Running the centre day to day: hours, holidays, closures and notices, for pages and commands.

Every change is written to the audit log and, when it closes time, moves the booked
callbacks that no longer fit and texts their callers (tickets.callbacks.reschedule).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import cache
from typing import Any

import phonenumbers
import sqlalchemy as sa
from babel import Locale
from flask_babel import force_locale, get_locale, gettext
from flask_babel import lazy_gettext as _l

from centre import calendar, languages, notices, phones
from centre.clock import CENTRE_TZ, from_storage, now, to_storage
from centre.extensions import db
from centre.languages import CODES, COUNTRY_LANGUAGE
from centre.plaintext import ControlCharacter, refuse_controls
from centre.refusals import Refused
from ivr.menus import welcome_preface
from staff import audit
from tickets import callbacks, sla


class ChangeRefused(Refused):
    """The change makes no sense: `message` says why on the pages, `str()` in the shell (English)."""

    explained: Any = ""  # what the pages show, unless the subclass builds it from its details

    def __init__(self, text: str) -> None:
        """Keep the words for the shell; the page's words are the class's."""
        super().__init__(self.explained, text)


class ClosesBeforeOpening(ChangeRefused):
    """A weekday's hours close at or before they open."""

    explained = _l("The centre must close after it opens.")


class EndsBeforeStart(ChangeRefused):
    """A closure or a notice ends at or before it starts."""

    explained = _l("The end must come after the start.")


class UnknownClosureKind(ChangeRefused):
    """A closure is neither a closure nor a maintenance window."""

    explained = _l("Choose a closure or a maintenance window.")


class NoRoomForCallbacks(ChangeRefused):
    """The change would push booked callbacks past the booking horizon."""

    explained = _l(
        "Not saved: the callbacks this change moves would find no free time within the"
        " booking horizon."
    )


class MissingNoticeText(ChangeRefused):
    """A notice lacks its text in one of the seven languages."""

    explained = _l("Write the notice in all seven languages.")


class UnreadableNoticeText(ChangeRefused):
    """A notice's text holds a control character, which no caller can hear."""

    def __init__(self, language: str, code: str) -> None:
        """Keep the language of the text and the character's code point."""
        super().__init__(f"the {language} text contains the control character {code}")
        self.language, self.code = language, code

    @property
    def message(self) -> str:
        """Name the language in the page's language and show the character's code."""
        return gettext(
            "The text in %(language)s contains an invisible control character (%(code)s):"
            " remove it, callers cannot hear it.",
            language=languages.get(self.language).name_in(_page_locale_code()),
            code=self.code,
        )


class UnknownNoticeCountry(ChangeRefused):
    """A notice names a country the centre has no number in, or no country at all."""

    def __init__(self, name: str) -> None:
        """Keep what was given."""
        super().__init__(
            f"unknown country {name!r}: give the code or the name of a country the centre"
            f" serves ({' '.join(sorted(COUNTRY_LANGUAGE))})"
        )
        self.name = name

    @property
    def message(self) -> str:
        """Say what was given, with an example named in the page's language."""
        territories = Locale.parse(_page_locale_code()).territories
        return gettext(
            "Unknown country: %(name)s. Give the code or the name of a country the centre"
            " serves, e.g. FR or %(example)s.",
            name=self.name,
            example=territories.get("FR", "FR"),
        )


class UnknownNoticeNumber(ChangeRefused):
    """A notice names a number no caller can dial: not international, or not the centre's."""

    def __init__(self, number: str) -> None:
        """Keep what was given."""
        super().__init__(
            f"{number!r} is not a number callers dial: give it in international form"
            " (+33800000000), in a country the centre serves"
        )
        self.number = number

    @property
    def message(self) -> str:
        """Say which number no caller dials."""
        return gettext(
            "No caller dials %(number)s: give the number in international form, e.g."
            " +33800000000, in a country the centre serves.",
            number=self.number,
        )


class DuplicateNotice(ChangeRefused):
    """The same notice (texts and callers) is already planned for an overlapping time."""

    explained = _l("The same notice, for the same callers, is already planned at that time.")

    def __init__(self, notice_id: int) -> None:
        """Keep the id of the notice already there."""
        super().__init__(f"notice {notice_id} already says this to the same callers at that time")
        self.notice_id = notice_id


def _page_locale_code() -> str:
    return str(get_locale() or languages.DEFAULT.code)


def _record(
    action: str,
    target: str,
    target_id: int | None,
    before: Any,
    after: Any,
    actor_email: str | None,
) -> None:
    audit.record(action, target, target_id, before, after, actor_email=actor_email)


def _hours_text(row: calendar.OpeningHours | None) -> str:
    return f"{row.opens:%H:%M}-{row.closes:%H:%M}" if row else "closed"


def set_hours(
    weekday: int, hours: tuple[time, time] | None, actor_email: str | None = None
) -> bool:
    """Set a weekday's opening hours (None closes it); return whether anything changed."""
    if hours is not None and hours[1] <= hours[0]:
        raise ClosesBeforeOpening("the centre must close after it opens")
    row = db.session.get(calendar.OpeningHours, weekday)
    before = _hours_text(row)
    if hours is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(calendar.OpeningHours(weekday=weekday, opens=hours[0], closes=hours[1]))
    else:
        row.opens, row.closes = hours
    after = f"{hours[0]:%H:%M}-{hours[1]:%H:%M}" if hours else "closed"
    if before == after:
        return False
    _record(
        "centre.hours",
        "weekday",
        weekday,
        {calendar.WEEKDAYS[weekday]: before},
        {calendar.WEEKDAYS[weekday]: after},
        actor_email,
    )
    return True


def load_coming_holidays() -> int:
    """Load this year's and next year's public holidays not yet loaded; return how many.

    The scheduler runs it daily, so next year's holidays are there long before New Year,
    ready to be confirmed on the calendar page; loaded ones are never changed.
    """
    year = now().astimezone(CENTRE_TZ).year
    added = calendar.seed_holidays([year, year + 1])
    if added:
        _record(
            "centre.holidays_loaded",
            "holiday",
            None,
            None,
            {"years": [year, year + 1], "added": added},
            "scheduler",
        )
    return added


def holidays_of(year: int) -> list[calendar.Holiday]:
    """Return the holidays of `year`, in date order."""
    return list(
        db.session.scalars(
            sa.select(calendar.Holiday)
            .where(
                calendar.Holiday.day >= date(year, 1, 1), calendar.Holiday.day <= date(year, 12, 31)
            )
            .order_by(calendar.Holiday.day, calendar.Holiday.id)
        )
    )


def confirm_holiday(
    holiday: calendar.Holiday, day: date | None, actor_email: str | None = None
) -> list[calendar.Holiday]:
    """Confirm a holiday, or move it (with its other days) to start on `day`."""
    before = [str(h.day) for h in _group(holiday)]
    moved = calendar.move_holiday(holiday, day)
    _record(
        "centre.holiday",
        "holiday",
        holiday.id,
        {"name": holiday.name, "days": before},
        {"days": [str(h.day) for h in moved], "confirmed": True},
        actor_email,
    )
    return moved


def _group(holiday: calendar.Holiday) -> list[calendar.Holiday]:
    if not holiday.seed_key:
        return [holiday]
    year, name, _ = holiday.seed_key.split(":", 2)
    return list(
        db.session.scalars(
            sa.select(calendar.Holiday)
            .where(calendar.Holiday.seed_key.like(f"{year}:{name}:%"))
            .order_by(calendar.Holiday.day)
        )
    )


def add_holiday(day: date, name: str, actor_email: str | None = None) -> calendar.Holiday:
    """Add a public holiday."""
    holiday = calendar.Holiday(day=day, name=name[:120], islamic=False, confirmed=True)
    db.session.add(holiday)
    db.session.flush()
    _record(
        "centre.holiday_add",
        "holiday",
        holiday.id,
        None,
        {"day": str(day), "name": name},
        actor_email,
    )
    return holiday


def _closure(starts: datetime, ends: datetime, kind: str, reason: str) -> calendar.Closure:
    if ends <= starts:
        raise EndsBeforeStart("a closure must end after it starts")
    if kind not in ("closure", "maintenance"):
        raise UnknownClosureKind(f"unknown kind of closure: {kind!r}")
    return calendar.Closure(
        kind=kind, starts_at=to_storage(starts), ends_at=to_storage(ends), reason=reason[:200]
    )


def callbacks_moved_by_closure(
    starts: datetime, ends: datetime, kind: str = "closure", reason: str = ""
) -> list[tuple[str, datetime, datetime]]:
    """Return the callbacks a closure would move (reference, old, new), adding nothing."""
    closure = _closure(starts, ends, kind, reason)
    savepoint = db.session.begin_nested()
    try:
        db.session.add(closure)
        db.session.flush()
        return callbacks.planned_moves()
    except callbacks.NoCallbackSlot as full:
        raise NoRoomForCallbacks("no free callback time left within the horizon") from full
    finally:
        savepoint.rollback()


def add_closure(
    starts: datetime,
    ends: datetime,
    kind: str = "closure",
    reason: str = "",
    actor_email: str | None = None,
) -> calendar.Closure:
    """Close the centre from `starts` to `ends` (aware)."""
    closure = _closure(starts, ends, kind, reason)
    db.session.add(closure)
    db.session.flush()
    _record("centre.closure_add", "closure", closure.id, None, _closure_facts(closure), actor_email)
    return closure


def _closure_facts(closure: calendar.Closure) -> dict[str, str]:
    def moment(value: datetime) -> str:
        aware = from_storage(value)
        assert aware is not None
        return aware.astimezone(CENTRE_TZ).isoformat(timespec="minutes")

    return {
        "kind": closure.kind,
        "starts": moment(closure.starts_at),
        "ends": moment(closure.ends_at),
        "reason": closure.reason,
    }


def remove_closure(closure: calendar.Closure, actor_email: str | None = None) -> None:
    """Remove a closure or maintenance window."""
    _record(
        "centre.closure_remove", "closure", closure.id, _closure_facts(closure), None, actor_email
    )
    db.session.delete(closure)


def reschedule_callbacks() -> int:
    """Follow a calendar change: move callbacks that now fall in closed time (texting their
    callers) and count open tickets' due times again; return how many callbacks moved.

    Every change of hours, holidays or closures ends here, from the pages and the shell.
    Raise `NoRoomForCallbacks` when callbacks no longer fit in the booking horizon: the caller
    of this function rolls the change back.
    """
    db.session.flush()
    try:
        moved = len(callbacks.reschedule())
    except callbacks.NoCallbackSlot as full:
        raise NoRoomForCallbacks("no free callback time left within the horizon") from full
    sla.follow_calendar()
    return moved


@cache
def _country_names() -> dict[str, str]:
    """Return each name of a country the centre serves (code, or in a language), folded, to its code."""
    names = {code.casefold(): code for code in COUNTRY_LANGUAGE}
    for language in CODES:
        territories = Locale.parse(language).territories
        for code in COUNTRY_LANGUAGE:
            if code in territories:
                names[territories[code].casefold()] = code
    return names


def notice_countries(given: str | list[str]) -> list[str]:
    """Return the codes of the countries named (codes or names in any of the seven languages).

    A text is split on commas, else on spaces, joining words where they make one name
    ("Royaume-Uni, Belgique", "Spain Belgium", "United Kingdom FR"). Raise
    UnknownNoticeCountry naming the first word that is no country the centre serves.
    """
    names = _country_names()
    parts = [given] if isinstance(given, str) else list(given)
    codes: list[str] = []
    for part in parts:
        for piece in (p.strip() for p in re.split(r"[,;]", part)):
            words = piece.split()
            start = 0
            while start < len(words):
                for end in range(len(words), start, -1):
                    code = names.get(" ".join(words[start:end]).casefold())
                    if code is not None:
                        codes.append(code)
                        start = end
                        break
                else:
                    raise UnknownNoticeCountry(words[start])
    return sorted(set(codes))


def notice_numbers(given: str | list[str]) -> list[str]:
    """Return the numbers in E.164 form; raise UnknownNoticeNumber for one no caller dials.

    A text is split on commas or lines; a piece that is not one number ("+33 805 00 00 00"
    is) is split on spaces.
    """
    pieces = re.split(r"[,;\n]", given) if isinstance(given, str) else list(given)
    numbers = []
    for piece in filter(None, (p.strip() for p in pieces)):
        for raw in [piece] if phones.normalise(piece) or " " not in piece else piece.split():
            number = phones.normalise(raw)
            if number is None or phones.country(number) not in COUNTRY_LANGUAGE:
                raise UnknownNoticeNumber(raw[:40])
            numbers.append(number)
    return sorted(set(numbers))


def _same_notice(
    starts: datetime,
    ends: datetime,
    texts: dict[str, str],
    countries: list[str],
    numbers: list[str],
    topic: notices.Topic = notices.CENTRE,
    other_than: int | None = None,
) -> notices.Notice | None:
    """Return a notice saying the same to the same callers at an overlapping time, if any."""
    query = sa.select(notices.Notice).where(
        notices.Notice.starts_at < to_storage(ends), notices.Notice.ends_at > to_storage(starts)
    )
    for notice in db.session.scalars(query.order_by(notices.Notice.id)):
        same_scope = (
            sorted(notice.countries.split()) == countries
            and sorted(notice.numbers.split()) == numbers
            and (notice.topic, notice.topic_key) == tuple(topic)
        )
        if (
            notice.id != other_than
            and same_scope
            and {t.language: t.text for t in notice.texts} == texts
        ):
            return notice
    return None


def _notice_texts(texts: dict[str, str]) -> dict[str, str]:
    """Return the seven texts, stripped; refuse a missing or unreadable one."""
    missing = [code for code in CODES if not texts.get(code, "").strip()]
    if missing:
        raise MissingNoticeText("missing the text in: " + " ".join(missing))
    texts = {code: texts[code].strip() for code in CODES}
    for code in CODES:
        try:
            refuse_controls(texts[code], multiline=True)
        except ControlCharacter as refused:
            raise UnreadableNoticeText(code, refused.code) from None
    return texts


def _notice_state(notice: notices.Notice) -> dict[str, Any]:
    """Return what the audit log keeps of a notice."""
    return {
        "starts": from_storage(notice.starts_at).isoformat(timespec="minutes"),
        "ends": from_storage(notice.ends_at).isoformat(timespec="minutes"),
        "countries": notice.countries,
        "numbers": notice.numbers,
        "topic": f"{notice.topic}:{notice.topic_key}" if notice.topic else "",
        "urgent": notice.urgent,
        "texts": {t.language: t.text for t in notice.texts},
    }


def add_notice(
    starts: datetime,
    ends: datetime,
    texts: dict[str, str],
    countries: str | list[str],
    numbers: str | list[str],
    actor_email: str | None = None,
    topic: notices.Topic = notices.CENTRE,
    urgent: bool = False,
) -> notices.Notice:
    """Add a service notice (its text in all seven languages is required).

    Countries are codes or names (see `notice_countries`), numbers international ones of the
    centre's countries; `topic` is where in the call it is heard (notices.CENTRE: before the
    main menu); an identical notice for an overlapping time is refused.
    """
    texts = _notice_texts(texts)
    if ends <= starts:
        raise EndsBeforeStart("a notice must end after it starts")
    countries, numbers = notice_countries(countries), notice_numbers(numbers)
    same = _same_notice(starts, ends, texts, countries, numbers, topic)
    if same is not None:
        raise DuplicateNotice(same.id)
    notice = notices.add_notice(starts, ends, texts, countries, numbers, topic=topic, urgent=urgent)
    _record("centre.notice_add", "notice", notice.id, None, _notice_state(notice), actor_email)
    return notice


def update_notice(
    notice: notices.Notice,
    starts: datetime,
    ends: datetime,
    texts: dict[str, str],
    countries: str | list[str],
    numbers: str | list[str],
    topic: notices.Topic = notices.CENTRE,
    urgent: bool = False,
    actor_email: str | None = None,
) -> notices.Notice:
    """Change a notice: its times, texts, callers and topic, checked as when it was added."""
    texts = _notice_texts(texts)
    if ends <= starts:
        raise EndsBeforeStart("a notice must end after it starts")
    countries, numbers = notice_countries(countries), notice_numbers(numbers)
    same = _same_notice(starts, ends, texts, countries, numbers, topic, other_than=notice.id)
    if same is not None:
        raise DuplicateNotice(same.id)
    before = _notice_state(notice)
    notice.starts_at, notice.ends_at = to_storage(starts), to_storage(ends)
    notice.countries, notice.numbers = " ".join(countries), " ".join(numbers)
    notice.topic = topic[0]
    notice.topic_key = topic[1] if topic[0] != "queue" else ""
    notice.urgent = urgent and topic != notices.CENTRE
    by_language = {t.language: t for t in notice.texts}
    for code, text in texts.items():
        if code in by_language:
            by_language[code].text = text
        else:
            notice.texts.append(notices.NoticeText(language=code, text=text))
    db.session.flush()
    old, new = audit.changes(before, _notice_state(notice))
    if new:
        _record("centre.notice_edit", "notice", notice.id, old, new, actor_email)
    return notice


def remove_notice(notice: notices.Notice, actor_email: str | None = None) -> None:
    """Remove a service notice."""
    _record(
        "centre.notice_remove",
        "notice",
        notice.id,
        {
            "countries": notice.countries,
            "numbers": notice.numbers,
            "texts": {t.language: t.text for t in notice.texts},
        },
        None,
        actor_email,
    )
    db.session.delete(notice)


def caller_zone(country: str | None) -> str | None:
    """Return the candidate time zones of a typical caller from `country`, space-separated."""
    example = phonenumbers.example_number(country or "")
    if example is None:
        return None
    number = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    return phones.time_zones(number)


def heard_at(
    language_code: str, country: str | None, dialled: str | None, moment: datetime
) -> list[str]:
    """Return what a caller hears after choosing `language_code` at `moment`, as the phone says it."""
    language = languages.get(language_code)
    with force_locale(language.code):
        return welcome_preface(language, country, dialled, caller_zone(country), moment)
