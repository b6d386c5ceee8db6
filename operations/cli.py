"""Shell commands: `flask --app app setup`, and the calendar, notices, tickets and call groups."""

from __future__ import annotations

from datetime import date, datetime, time

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade

from centre import calendar, notices
from centre.clock import CENTRE_TZ, from_storage, now, to_storage
from centre.extensions import db
from centre.languages import CODES
from operations import running
from operations.demo import load_demo
from operations.privacy import privacy_group


@click.command("setup")
@click.option("--demo", is_flag=True, help="Also add demo tickets, calls and notices.")
@with_appcontext
def setup_command(demo: bool) -> None:
    """Create or upgrade the schema and load the seed data; running it twice changes nothing."""
    if demo and current_app.config["APP_ENV"] == "production":
        # Demo accounts with known addresses and demo tickets have no place in a real centre.
        raise click.ClickException(
            "--demo is refused when APP_ENV=production: demo accounts and data are for trying "
            "the centre out. Run `flask setup` without --demo, then `flask users create`."
        )
    upgrade()
    calendar.seed_hours()
    this_year = now().astimezone(CENTRE_TZ).year
    added = calendar.seed_holidays([this_year, this_year + 1])
    # Domains seed their own content (the guide registers its loader in its init_app).
    rows = sum(seeder() for seeder in current_app.extensions.get("setup.seeders", []))
    db.session.commit()
    click.echo(f"Schema up to date; {added} holidays and {rows} content rows added or updated.")
    if demo:
        click.echo(load_demo())
        db.session.commit()
        # Domains add their own demo data (registered in their init_app), each committed.
        for loader in current_app.extensions.get("setup.demo", []):
            for line in loader():
                click.echo(line)
            db.session.commit()


def _moment(value: str) -> datetime:
    """Parse an ISO date-time given in Moroccan time unless it names its own offset."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.UsageError(
            f"give a date and a time such as 2026-12-24T14:00, not {value!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CENTRE_TZ)


CLI = "cli"  # the actor named in the audit log for changes made from the shell

calendar_group = AppGroup("calendar", help="Opening hours, holidays, closures and maintenance.")


@calendar_group.command("show")
def calendar_show() -> None:
    """Print the weekly hours and whether the centre is open now."""
    hours = {h.weekday: h for h in db.session.scalars(sa.select(calendar.OpeningHours))}
    for weekday, name in enumerate(calendar.WEEKDAYS):
        row = hours.get(weekday)
        click.echo(
            f"{name:<10} {row.opens:%H:%M}-{row.closes:%H:%M}" if row else f"{name:<10} closed"
        )
    availability = calendar.availability(now())
    state = "open" if availability.open else "closed"
    opening = availability.next_opening
    click.echo(
        f"Now {state}; next opening {opening:%Y-%m-%d %H:%M} (Africa/Casablanca)"
        if opening
        else f"Now {state}"
    )


@calendar_group.command("hours")
@click.argument("weekday", type=click.Choice(calendar.WEEKDAYS))
@click.argument("opens", required=False)
@click.argument("closes", required=False)
@click.option("--closed", is_flag=True, help="Close the centre on that weekday.")
def calendar_hours(weekday: str, opens: str | None, closes: str | None, closed: bool) -> None:
    """Set a weekday's hours (HH:MM HH:MM, Moroccan time) or close it with --closed."""
    index = calendar.WEEKDAYS.index(weekday)
    hours = None
    if not closed:
        if not opens or not closes:
            raise click.UsageError("give OPENS and CLOSES, e.g. 08:00 20:00, or --closed")
        hours = (time.fromisoformat(opens), time.fromisoformat(closes))
    try:
        running.set_hours(index, hours, actor_email=CLI)
    except running.ChangeRefused as refused:
        raise click.UsageError(str(refused)) from refused
    _reschedule_and_commit()


@calendar_group.command("holidays")
@click.option("--year", type=int, help="Only this year.")
def calendar_holidays(year: int | None) -> None:
    """List holidays; estimated Islamic dates are marked until confirmed."""
    query = sa.select(calendar.Holiday).order_by(calendar.Holiday.day)
    if year:
        query = query.where(
            calendar.Holiday.day >= date(year, 1, 1), calendar.Holiday.day <= date(year, 12, 31)
        )
    for holiday in db.session.scalars(query):
        mark = "" if holiday.confirmed else "  (estimated: confirm or move)"
        click.echo(f"{holiday.id:>4}  {holiday.day}  {holiday.name}{mark}")


@calendar_group.command("confirm")
@click.argument("holiday_id", type=int)
@click.option("--on", "day", help="Move it to this date (YYYY-MM-DD) as it is confirmed.")
def calendar_confirm(holiday_id: int, day: str | None) -> None:
    """Confirm an Islamic holiday's date, or move it (all its days) to the date announced."""
    holiday = db.session.get(calendar.Holiday, holiday_id)
    if holiday is None:
        raise click.ClickException(f"no holiday {holiday_id}")
    try:
        new_day = date.fromisoformat(day) if day else None
    except ValueError as exc:
        raise click.UsageError(f"--on takes a date such as 2027-03-10, not {day!r}") from exc
    moved = running.confirm_holiday(holiday, new_day, actor_email=CLI)
    _reschedule_and_commit()
    days = ", ".join(str(h.day) for h in moved)
    click.echo(f"{holiday.name} confirmed on {days}")


@calendar_group.command("add-holiday")
@click.argument("day")
@click.argument("name")
def calendar_add_holiday(day: str, name: str) -> None:
    """Add a public holiday on DAY (YYYY-MM-DD)."""
    running.add_holiday(date.fromisoformat(day), name, actor_email=CLI)
    _reschedule_and_commit()


@calendar_group.command("close")
@click.argument("starts")
@click.argument("ends")
@click.option("--kind", type=click.Choice(["closure", "maintenance"]), default="closure")
@click.option("--reason", default="")
def calendar_close(starts: str, ends: str, kind: str, reason: str) -> None:
    """Close the centre from STARTS to ENDS (ISO, Moroccan time); booked callbacks move."""
    try:
        running.add_closure(_moment(starts), _moment(ends), kind, reason, actor_email=CLI)
    except running.ChangeRefused as refused:
        raise click.UsageError(str(refused)) from refused
    _reschedule_and_commit()


@calendar_group.command("closures")
def calendar_closures() -> None:
    """List closures and maintenance windows still to come."""
    query = sa.select(calendar.Closure).where(calendar.Closure.ends_at > to_storage(now()))
    for closure in db.session.scalars(query.order_by(calendar.Closure.starts_at)):
        start = from_storage(closure.starts_at).astimezone(CENTRE_TZ)
        end = from_storage(closure.ends_at).astimezone(CENTRE_TZ)
        click.echo(
            f"{closure.id:>4}  {closure.kind:<11} {start:%Y-%m-%d %H:%M} -> {end:%Y-%m-%d %H:%M}  {closure.reason}"
        )


def _reschedule_and_commit() -> None:
    """Move callbacks that now fall in closed time and tell their callers."""
    try:
        moves = running.reschedule_callbacks()
    except running.ChangeRefused as refused:
        db.session.rollback()
        raise click.ClickException(f"nothing changed: {refused}") from refused
    db.session.commit()
    if moves:
        click.echo(f"{moves} callback(s) moved; their callers were sent an SMS.")


notices_group = AppGroup("notices", help="Service notices played after the language choice.")


@notices_group.command("add")
@click.option(
    "--starts", required=True, help="ISO date-time, Moroccan time unless an offset is given."
)
@click.option("--ends", required=True)
@click.option(
    "--country",
    "countries",
    multiple=True,
    help="Only callers to this country's number: its code (ES) or its name (Spain).",
)
@click.option(
    "--number",
    "numbers",
    multiple=True,
    help="Only callers to this dialled number, in international form (+34900000000).",
)
@click.option("--text", "texts", multiple=True, required=True, help="LANG=TEXT, once per language.")
@click.option(
    "--topic",
    default="",
    help="Heard where the caller reaches it instead of before the menu: service:SLUG,"
    " category:SLUG, case_status[:SLUG] or queue.",
)
@click.option("--urgent", is_flag=True, help="A topic notice heard before the menu too.")
def notices_add(
    starts: str,
    ends: str,
    countries: tuple[str, ...],
    numbers: tuple[str, ...],
    texts: tuple[str, ...],
    topic: str,
    urgent: bool,
) -> None:
    """Add a notice; it needs its text in all seven languages."""
    kind, _, key = topic.partition(":")
    if topic and (kind not in notices.TOPIC_KINDS or (kind in ("service", "category") and not key)):
        raise click.UsageError(
            "--topic must be service:SLUG, category:SLUG, case_status[:SLUG] or queue"
        )
    by_language: dict[str, str] = {}
    for item in texts:
        code, _, text = item.partition("=")
        if code not in CODES or not text.strip():
            raise click.UsageError(f"--text must be LANG=TEXT with LANG one of {' '.join(CODES)}")
        by_language[code] = text.strip()
    try:
        notice = running.add_notice(
            _moment(starts),
            _moment(ends),
            by_language,
            list(countries),
            list(numbers),
            actor_email=CLI,
            topic=(kind, key) if topic else notices.CENTRE,
            urgent=urgent,
        )
    except running.ChangeRefused as exc:
        raise click.UsageError(str(exc)) from exc
    db.session.commit()
    click.echo(f"notice {notice.id} added")


@notices_group.command("list")
def notices_list() -> None:
    """List notices that have not ended."""
    query = sa.select(notices.Notice).where(notices.Notice.ends_at > to_storage(now()))
    for notice in db.session.scalars(query.order_by(notices.Notice.starts_at)):
        scope = " ".join(filter(None, [notice.countries, notice.numbers])) or "all callers"
        if notice.topic:
            scope += f", at {notice.topic}{':' + notice.topic_key if notice.topic_key else ''}"
            scope += ", urgent" if notice.urgent else ""
        english = next((t.text for t in notice.texts if t.language == "en"), "")
        click.echo(
            f"{notice.id:>4}  {notice.starts_at:%Y-%m-%d %H:%M} -> {notice.ends_at:%Y-%m-%d %H:%M} UTC  [{scope}]  {english}"
        )


@notices_group.command("remove")
@click.argument("notice_id", type=int)
def notices_remove(notice_id: int) -> None:
    """Remove a notice."""
    notice = db.session.get(notices.Notice, notice_id)
    if notice is None:
        raise click.ClickException(f"no notice {notice_id}")
    running.remove_notice(notice, actor_email=CLI)
    db.session.commit()


def register_commands(app: Flask) -> None:
    """Add `setup` and the calendar, notices and privacy groups to `flask`."""
    app.cli.add_command(setup_command)
    app.cli.add_command(calendar_group)
    app.cli.add_command(notices_group)
    app.cli.add_command(privacy_group)
