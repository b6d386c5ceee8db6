"""Supervisors' pages to run the centre: hours, holidays, closures, notices, and what callers hear.

Thin: each page reads the form, calls operations.running (the same functions as the shell
commands), and says what happened; the request commits once.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext, ngettext
from werkzeug.wrappers import Response

from centre import calendar, languages, notices
from centre.clock import CENTRE_TZ, from_storage, now, to_storage
from centre.extensions import db
from centre.formatting import page_date, page_time, too_long
from centre.refusals import Refused
from knowledge import services as guide
from operations import running
from staff import audit, role_required

bp = Blueprint("centre_admin", __name__, url_prefix="/centre", template_folder="templates")
ROLES = ("supervisor", "admin")
COUNTRIES = sorted(languages.COUNTRY_LANGUAGE)


@bp.context_processor
def names() -> dict[str, object]:
    """Give the pages weekday and country names in the page's language."""
    return _names()


def _names() -> dict[str, Any]:
    from babel import Locale
    from babel.dates import get_day_names

    locale = Locale.parse(str(get_locale() or languages.DEFAULT.code))
    return {
        "weekday_names": get_day_names("wide", locale=locale),
        "country_names": {code: locale.territories.get(code, code) for code in COUNTRIES},
    }


@bp.app_template_filter("centre_moment")
def centre_moment(moment: datetime) -> str:
    """Format a moment as a short Moroccan date and time for the page's language."""
    return f"{page_date(moment, 'short')} {page_time(moment)}"


class FormRefused(Refused):
    """The form holds something that cannot be used; the message says what."""


def _moment(raw: str | None) -> datetime:
    try:
        moment = datetime.fromisoformat((raw or "").strip())
    except ValueError as exc:
        raise FormRefused(gettext("Give a date and a time, e.g. 2026-12-24 14:00.")) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=CENTRE_TZ)


REASON_MAX, NOTICE_MAX = 200, 1000


def _limited(text: str, limit: int) -> str:
    """Return `text` whole, or refuse it when longer than `limit` (never cut it silently)."""
    if len(text) > limit:
        raise FormRefused(too_long(limit, len(text)))
    return text


def _moved_message(count: int) -> str:
    if not count:
        return gettext("Saved.")
    return ngettext(
        "Saved. %(num)s callback moved; its caller was sent a text message.",
        "Saved. %(num)s callbacks moved; their callers were sent a text message.",
        count,
    )


@bp.route("/hours", methods=["GET", "POST"])
@role_required(*ROLES)
def hours() -> str | Response | tuple[str, int]:
    """Show and change the weekly opening hours."""
    error = None
    if request.method == "POST":
        try:
            wanted: dict[int, tuple[time, time] | None] = {}
            for weekday in range(7):
                if request.form.get(f"closed_{weekday}"):
                    wanted[weekday] = None
                    continue
                try:
                    opens = time.fromisoformat(request.form.get(f"opens_{weekday}", ""))
                    closes = time.fromisoformat(request.form.get(f"closes_{weekday}", ""))
                except ValueError as exc:
                    raise FormRefused(gettext("Give the hours as HH:MM, or tick closed.")) from exc
                wanted[weekday] = (opens, closes)
            for weekday, span in wanted.items():
                running.set_hours(weekday, span)
            moved = running.reschedule_callbacks()
            flash(_moved_message(moved))
            return redirect(url_for("centre_admin.hours"))
        except running.ChangeRefused as refused:
            db.session.rollback()
            error = refused.message
        except FormRefused as refused:
            db.session.rollback()
            error = refused.message
    rows = {row.weekday: row for row in db.session.scalars(sa.select(calendar.OpeningHours))}
    page = render_template("centre_admin/hours.html", rows=rows, error=error)
    return (page, 422) if error else page


@bp.get("/holidays")
@role_required(*ROLES)
def holidays() -> str:
    """List a year's holidays; the estimated Islamic ones are to confirm or move."""
    year = request.args.get("year", type=int) or now().astimezone(CENTRE_TZ).year
    year = min(max(year, 2000), 2100)
    return render_template(
        "centre_admin/holidays.html", year=year, holidays=running.holidays_of(year)
    )


@bp.post("/holidays")
@role_required(*ROLES)
def add_holiday() -> Response:
    """Add a public holiday the calendar does not know (a holiday decreed this year)."""
    name = _limited(request.form.get("name", "").strip(), 120)
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        flash(gettext("Give the date announced, e.g. 2027-03-10."))
        return redirect(url_for("centre_admin.holidays"))
    if not name:
        flash(gettext("Give the holiday's name."))
        return redirect(url_for("centre_admin.holidays", year=day.year))
    running.add_holiday(day, name)
    moved = running.reschedule_callbacks()
    flash(_moved_message(moved))
    return redirect(url_for("centre_admin.holidays", year=day.year))


@bp.post("/holidays/<int:holiday_id>")
@role_required(*ROLES)
def confirm_holiday(holiday_id: int) -> Response:
    """Confirm a holiday on its date, or move it (and its other days) to the date announced."""
    holiday = db.session.get(calendar.Holiday, holiday_id) or abort(404)
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        flash(gettext("Give the date announced, e.g. 2027-03-10."))
        return redirect(url_for("centre_admin.holidays", year=holiday.day.year))
    try:
        running.confirm_holiday(holiday, None if day == holiday.day else day)
        moved = running.reschedule_callbacks()
    except running.ChangeRefused as refused:
        db.session.rollback()
        flash(refused.message)
        return redirect(url_for("centre_admin.holidays", year=holiday.day.year))
    flash(_moved_message(moved))
    return redirect(url_for("centre_admin.holidays", year=day.year))


def _upcoming_closures() -> list[calendar.Closure]:
    query = sa.select(calendar.Closure).where(calendar.Closure.ends_at > to_storage(now()))
    return list(db.session.scalars(query.order_by(calendar.Closure.starts_at)))


@bp.route("/closures", methods=["GET", "POST"])
@role_required(*ROLES)
def closures() -> str | Response | tuple[str, int]:
    """List closures to come; add one, first showing the callbacks it would move."""
    form = request.form
    error, moves = None, None
    if request.method == "POST":
        try:
            starts, ends = _moment(form.get("starts")), _moment(form.get("ends"))
            kind = form.get("kind", "closure")
            reason = _limited(form.get("reason", "").strip(), REASON_MAX)
            moves = running.callbacks_moved_by_closure(starts, ends, kind, reason)
            if not moves or form.get("confirm") == "1":
                running.add_closure(starts, ends, kind, reason)
                moved = running.reschedule_callbacks()
                flash(_moved_message(moved))
                return redirect(url_for("centre_admin.closures"))
        except running.ChangeRefused as refused:
            db.session.rollback()
            error = refused.message
        except FormRefused as refused:
            error = refused.message
    page = render_template(
        "centre_admin/closures.html",
        closures=_upcoming_closures(),
        error=error,
        moves=moves,
        form=form,
    )
    return (page, 422) if error else page


@bp.get("/closures/<int:closure_id>/remove")
@role_required(*ROLES)
def confirm_remove_closure(closure_id: int) -> str:
    """Ask before removing a closure: what it is, and that its callbacks may move back."""
    closure = db.session.get(calendar.Closure, closure_id) or abort(404)
    kind = gettext("Maintenance") if closure.kind == "maintenance" else gettext("Closure")
    details = [
        f"{kind}: {centre_moment(closure.starts_at)} → {centre_moment(closure.ends_at)}",
        closure.reason,
    ]
    return render_template(
        "centre_admin/confirm.html",
        title=gettext("Remove this closure?"),
        details=[d for d in details if d],
        back=url_for("centre_admin.closures"),
        action=url_for("centre_admin.remove_closure", closure_id=closure.id),
    )


@bp.post("/closures/<int:closure_id>/remove")
@role_required(*ROLES)
def remove_closure(closure_id: int) -> Response:
    """Remove a closure or maintenance window (confirmed on its own page first)."""
    closure = db.session.get(calendar.Closure, closure_id) or abort(404)
    running.remove_closure(closure)
    moved = running.reschedule_callbacks()
    flash(_moved_message(moved))
    return redirect(url_for("centre_admin.closures"))


def topic_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Return where a notice can be heard, grouped, as (value, words) in the page's language."""
    locale = str(get_locale() or languages.DEFAULT.code)
    categories = guide.categories(locale)
    answers = [item for slug, _ in categories for item in guide.services_in(slug, locale)]
    return [
        (
            "",
            [
                ("", gettext("Before the main menu")),
                ("queue:", gettext("On the way to an agent")),
                ("case_status:", gettext("With the status of any application")),
            ],
        ),
        (
            gettext("A topic of the guide"),
            [(f"category:{slug}", name) for slug, name in categories],
        ),
        (
            gettext("An answer of the guide"),
            [(f"service:{slug}", title) for slug, title in answers],
        ),
        (
            gettext("With the status of an application for"),
            [(f"case_status:{slug}", title) for slug, title in answers],
        ),
    ]


def topic_words(value: str) -> str:
    """Return where a notice is heard, in words ("An answer of the guide: Visa")."""
    for group, choices in topic_choices():
        for choice, words in choices:
            if choice == value:
                return f"{group}: {words}" if group else words
    kind = value.split(":", 1)[0]
    return {
        "category": gettext("A topic of the guide"),
        "service": gettext("An answer of the guide"),
        "case_status": gettext("With the status of an application for"),
    }.get(kind, value)


class _TopicNames(dict):
    """The audit log's words for a notice's topic, looked up in the reader's language."""

    def get(self, value: str, default: object = None) -> str:
        """Return the topic in words."""
        return topic_words(value)


audit.register_values("topic", _TopicNames())


def _topic(value: str) -> notices.Topic:
    """Return the topic chosen in the form, refusing one the form did not offer."""
    offered = {choice for _, choices in topic_choices() for choice, _ in choices}
    if value not in offered:
        raise FormRefused(gettext("Choose where callers hear the notice from the list."))
    if not value:
        return notices.CENTRE
    kind, _, key = value.partition(":")
    return (kind, key)


def _notice_form(notice: notices.Notice) -> dict[str, str]:
    """Return a notice as its form's fields, times in Moroccan time."""

    def local(moment: datetime) -> str:
        return from_storage(moment).astimezone(CENTRE_TZ).strftime("%Y-%m-%dT%H:%M")

    form = {
        "starts": local(notice.starts_at),
        "ends": local(notice.ends_at),
        "countries": notice.countries,
        "numbers": notice.numbers,
        "topic": f"{notice.topic}:{notice.topic_key}" if notice.topic else "",
        "urgent": "1" if notice.urgent else "",
    }
    return form | {f"text_{t.language}": t.text for t in notice.texts}


def _save_notice(form: Any, notice: notices.Notice | None) -> None:
    """Add a notice from the form, or change `notice`."""
    fields = (
        _moment(form.get("starts")),
        _moment(form.get("ends")),
        {code: _limited(form.get(f"text_{code}", ""), NOTICE_MAX) for code in languages.CODES},
        _limited(form.get("countries", ""), 500),
        _limited(form.get("numbers", ""), 500),
    )
    topic, urgent = _topic(form.get("topic", "")), form.get("urgent") == "1"
    if notice is None:
        running.add_notice(*fields, topic=topic, urgent=urgent)
    else:
        running.update_notice(notice, *fields, topic=topic, urgent=urgent)


def _notices_page(notice: notices.Notice | None) -> str | Response | tuple[str, int]:
    form: Any = (
        request.form if request.method == "POST" else (_notice_form(notice) if notice else {})
    )
    error = None
    if request.method == "POST":
        try:
            _save_notice(form, notice)
            flash(gettext("Saved."))
            return redirect(url_for("centre_admin.notices_page"))
        except running.ChangeRefused as refused:
            db.session.rollback()
            error = refused.message
        except FormRefused as refused:
            error = refused.message
    query = sa.select(notices.Notice).where(notices.Notice.ends_at > to_storage(now()))
    current = list(db.session.scalars(query.order_by(notices.Notice.starts_at)))
    page = render_template(
        "centre_admin/notices.html",
        notices=current,
        error=error,
        form=form,
        languages=languages.LANGUAGES,
        editing=notice,
        topics=topic_choices(),
        topic_words=topic_words,
    )
    return (page, 422) if error else page


@bp.route("/notices", methods=["GET", "POST"])
@role_required(*ROLES)
def notices_page() -> str | Response | tuple[str, int]:
    """List notices that have not ended; add one, in all seven languages, for callers of a topic."""
    return _notices_page(None)


@bp.route("/notices/<int:notice_id>", methods=["GET", "POST"])
@role_required(*ROLES)
def edit_notice(notice_id: int) -> str | Response | tuple[str, int]:
    """Change a notice: its times, texts, callers and topic."""
    return _notices_page(db.session.get(notices.Notice, notice_id) or abort(404))


@bp.get("/notices/<int:notice_id>/remove")
@role_required(*ROLES)
def confirm_remove_notice(notice_id: int) -> str:
    """Ask before removing a notice, showing when it plays and its text in the reader's language."""
    notice = db.session.get(notices.Notice, notice_id) or abort(404)
    texts = {text.language: text.text for text in notice.texts}
    shown = texts.get(str(get_locale() or "fr")) or texts.get("fr", "")
    details = [f"{centre_moment(notice.starts_at)} → {centre_moment(notice.ends_at)}", shown]
    return render_template(
        "centre_admin/confirm.html",
        title=gettext("Remove this notice?"),
        details=details,
        back=url_for("centre_admin.notices_page"),
        action=url_for("centre_admin.remove_notice", notice_id=notice.id),
    )


@bp.post("/notices/<int:notice_id>/remove")
@role_required(*ROLES)
def remove_notice(notice_id: int) -> Response:
    """Remove a notice (confirmed on its own page first)."""
    notice = db.session.get(notices.Notice, notice_id) or abort(404)
    running.remove_notice(notice)
    flash(gettext("Notice removed."))
    return redirect(url_for("centre_admin.notices_page"))


@bp.get("/preview")
@role_required(*ROLES)
def preview() -> str | tuple[str, int]:
    """Show what a caller to a country's number hears, in a language, at a given moment."""
    args = request.args
    language = languages.get(args.get("language"))
    country = (args.get("country") or "FR").upper()[:2]
    number = (args.get("number") or "").strip()[:32] or None
    error, heard, at_topics = None, None, []
    moment = now().astimezone(CENTRE_TZ).replace(second=0, microsecond=0)
    try:
        if args.get("at"):
            moment = _moment(args.get("at"))
        heard = running.heard_at(language.code, country, number, moment)
        at_topics = [
            (topic_words(f"{kind}:{key}"), text)
            for (kind, key), text in notices.at_topics(language.code, country, number, moment)
        ]
    except FormRefused as refused:
        error = refused.message
    shown = {"time": page_time(moment), "date": page_date(moment, "long")}
    page = render_template(
        "centre_admin/preview.html",
        language=language,
        country=country,
        shown=shown,
        number=number or "",
        moment=moment,
        heard=heard,
        error=error,
        at_topics=at_topics,
        countries=COUNTRIES,
        languages=languages.LANGUAGES,
    )
    return (page, 400) if error else page
