"""The agents' desk: the queue, a ticket, and what an agent does to it. Thin: read, call, answer."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import requests
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import format_timedelta, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from centre import languages
from centre.clock import now
from centre.extensions import db
from centre.formatting import too_long
from desk import answer, desk, queue, story
from desk.queue import DESK_ROLES
from staff import accounts, current_staff, kept, refuse, role_required
from staff.models import StaffUser
from staff.views import language_name
from tickets import contact, replies, sla
from tickets.labels import STATUS_NAMES, TYPE_NAMES
from tickets.models import (
    CALLBACK_OUTCOMES,
    STATUSES,
    TYPES,
    Recording,
    Ticket,
)
from tickets.services import recording_audio_url

log = logging.getLogger(__name__)
bp = Blueprint(
    "tickets",
    __name__,
    url_prefix="/tickets",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

OUTCOME_NAMES = {
    "reached": _l("Reached"),
    "no_answer": _l("No answer"),
    "rescheduled": _l("Rescheduled"),
}

bp.add_app_template_filter(desk.note_text, "note_text")


@bp.app_template_filter("other_requests")
def other_requests(ticket: Ticket) -> list[str]:
    """Return the names of what else the caller asked for in the ticket's call, in order."""
    names = dict.fromkeys(str(TYPE_NAMES[t]) for t in ticket.request_types if t != ticket.type)
    return list(names)


@bp.app_template_filter("seconds_waited")
def seconds_waited(seconds: int) -> str:
    """Return how long a caller has waited, in the reader's language ("3 minutes")."""
    return format_timedelta(timedelta(seconds=seconds), threshold=1.1)


@bp.app_context_processor
def desk_names() -> dict[str, object]:
    """Give the desk's templates the translated names of types, statuses and nodes."""
    return {"type_names": TYPE_NAMES, "status_names": STATUS_NAMES, "outcome_names": OUTCOME_NAMES}


def _me() -> StaffUser:
    user = current_staff()
    assert user is not None  # role_required let the request through
    return user


def _ticket(ticket_id: int) -> Ticket:
    """Return the ticket if the agent may see it; 404 otherwise, as if it did not exist."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        abort(404)
    if not queue.can_see(_me(), ticket):
        refuse(request.path, "ticket", ticket_id, code=404)  # as if the ticket did not exist
    return ticket


@bp.get("/", endpoint="queue")
@role_required(*DESK_ROLES)
def queue_page() -> str:
    """Show the queue: the agent's languages, filtered, searched, one page at a time."""
    user = _me()
    filters = queue.Filters.from_args(request.args)
    result = queue.page(user, filters, queue.parse_after(request.args.get("after")))
    moment = now()
    return render_template(
        "desk/queue.html",
        page=result,
        filters=filters,
        types=TYPES,
        statuses=STATUSES,
        languages=[languages.get(c) for c in queue.visible_languages(user)],
        sla_running=sla.is_running,
        standings={t.id: sla.standing(t, moment) for t in result.tickets},
        user=user,
        waiting=desk.waiting_count(user),
        callers=desk.waiting_callers(user),
        ringing=desk.ringing(user),
        on_call=desk.on_call(user),
        poll_seconds=current_app.config.get("DESK_POLL_SECONDS", 5),
    )


def _sla_text(ticket: Ticket, moment: datetime, standing: str) -> str:
    if not sla.is_running(ticket):
        return ""
    left = sla.open_seconds_left(ticket, moment)
    span = format_timedelta(timedelta(seconds=abs(left)), threshold=1.1)
    if standing == "breached":
        return gettext("Overdue by %(time)s of opening hours.", time=span)
    return gettext("Due in %(time)s of opening hours.", time=span)


def _render(ticket: Ticket, status: int = 200, **extra: object) -> tuple[str, int]:
    moment, merged = now(), desk.merged_tickets(ticket)
    standing = sla.standing(ticket, moment)
    page = render_template(
        "desk/ticket.html",
        ticket=ticket,
        statuses=STATUSES,
        outcomes=CALLBACK_OUTCOMES,
        history=desk.history(ticket, merged),
        merged=merged,
        agents=desk.agents_for(ticket),
        sla_text=_sla_text(ticket, moment, standing),
        standing=standing,
        user=_me(),
        note_max=desk.NOTE_MAX,
        same_caller=desk.same_caller_open(ticket),
        story=story.of(ticket),
        caller_number=contact.caller_number(ticket),
        reply_templates=replies.in_language(ticket.language),
        **extra,
    )
    return page, status


@bp.get("/<int:ticket_id>")
@role_required(*DESK_ROLES)
def ticket_page(ticket_id: int) -> tuple[str, int]:
    """Show a ticket: journey, recordings, callback, SLA, notes, history, and the actions."""
    ticket = _ticket(ticket_id)
    typed = kept.take(_me(), url_for("tickets.save", ticket_id=ticket_id))
    if typed is None:
        return _render(ticket)
    # Taken back once (the request commits it): a reload shows the ticket as it is.
    flash(
        gettext(
            "What you typed before your session expired is back in the form: check it, then save."
        )
    )
    # The version the form was loaded from comes back too: a change made meanwhile by
    # someone else is shown as a conflict rather than saved over.
    return _render(
        ticket,
        draft=typed.get("note", ""),
        draft_status=typed.get("status"),
        seen_version=typed.get("version", type=int),
    )


def _act(ticket_id: int, action: str) -> Response | tuple[str, int]:
    """Run one change from the ticket page (the request commits it); show a conflict or refusal."""
    ticket = _ticket(ticket_id)
    form = request.form
    seen = form.get("version", type=int) or 0
    draft, chosen = form.get("note", ""), form.get("status")
    if len(draft) > desk.NOTE_MAX:
        # Refused whole rather than cut: the agent keeps every word and decides what goes.
        error = too_long(desk.NOTE_MAX, len(draft))
        return _render(ticket, 422, error=error, draft=draft, draft_status=chosen)
    try:
        if action == "save":
            desk.save(
                ticket,
                _me(),
                seen,
                form.get("status", ticket.status),
                draft,
                share_words=form.get("share") == "1",
            )
            message = gettext("Saved.")
        elif action == "assign":
            target = _assignee(form.get("to", ""))
            desk.assign(ticket, _me(), seen, target)
            message = gettext("Assignment changed.")
        elif action == "merge":
            refs = form.get("references", "").replace(",", " ").split()
            count = desk.merge(ticket, _me(), seen, refs[:20])
            message = ngettext(
                "%(num)s ticket merged into this one.",
                "%(num)s tickets merged into this one.",
                count,
            )
        elif action == "call_back":
            desk.request_callback(ticket, _me(), seen)
            message = gettext("Your phone will ring; answer it to be put through to the caller.")
        elif action == "reply":
            answer.reply_by_sms(
                ticket, _me(), seen, form.get("text", ""), form.get("template", type=int)
            )
            message = gettext("Your text message to the caller is on its way.")
        elif action == "outcome":
            desk.callback_outcome(
                ticket, _me(), seen, form.get("outcome", ""), keep_open=form.get("keep_open") == "1"
            )
            message = gettext("Callback outcome recorded.")
        else:
            abort(404)
        db.session.flush()  # a change made meanwhile shows here, as a conflict
    except desk.Conflict as conflict:
        db.session.rollback()
        return _conflict(ticket_id, conflict.seen_version, draft, chosen)
    except StaleDataError:
        db.session.rollback()
        return _conflict(ticket_id, seen, draft, chosen)
    except desk.Refused as refused:
        db.session.rollback()
        ticket = _ticket(ticket_id)
        return _render(ticket, 422, error=refused.message, draft=draft, draft_status=chosen)
    flash(message)
    return redirect(url_for("tickets.ticket_page", ticket_id=ticket_id))


def _conflict(ticket_id: int, seen: int, draft: str, chosen: str | None) -> tuple[str, int]:
    ticket = _ticket(ticket_id)
    error = gettext(
        "Someone else changed this ticket while you were working on it. Their change is shown "
        "below; nothing of yours was saved. Check it, then save again."
    )
    return _render(
        ticket,
        409,
        error=error,
        conflict=desk.changes_since(ticket, seen),
        draft=draft,
        draft_status=chosen,
    )


def _assignee(raw: str) -> StaffUser | None:
    if raw == "me":
        return _me()
    if raw in ("", "none"):
        return None
    try:
        user = db.session.get(StaffUser, int(raw))
    except ValueError:
        user = None
    if user is None:
        raise desk.Refused(gettext("This agent does not handle tickets in this language."))
    return user


# The ticket page's changes: each its own URL and endpoint, all the same work (`_act`).
CHANGES = (
    ("save", "save", "Add a note and/or change the status."),
    ("assign", "assign", "Claim, release, or hand the ticket to another agent."),
    ("merge", "merge", "Merge duplicates into this ticket."),
    ("call_back", "call-back", "Ring the agent's phone and bridge the caller."),
    ("outcome", "outcome", "Record how the callback went."),
    ("reply", "reply", "Text the caller a prepared reply or the agent's words."),
)


def _change_view(action: str, doc: str) -> Callable[[int], Response | tuple[str, int]]:
    def view(ticket_id: int) -> Response | tuple[str, int]:
        return _act(ticket_id, action)

    view.__name__ = view.__qualname__ = action
    view.__doc__ = doc
    return view


for _action, _path, _doc in CHANGES:
    bp.add_url_rule(
        f"/<int:ticket_id>/{_path}",
        endpoint=_action,
        methods=["POST"],
        view_func=role_required(*DESK_ROLES)(_change_view(_action, _doc)),
    )


@bp.get("/<int:ticket_id>/recordings/<int:recording_id>")
@role_required(*DESK_ROLES)
def recording(ticket_id: int, recording_id: int) -> Response:
    """Stream a recording from Twilio with the centre's credentials; its URL never leaves."""
    ticket = _ticket(ticket_id)
    found = db.session.get(Recording, recording_id)
    if found is None or found.ticket_id != ticket.id:
        abort(404)
    if found.audio is not None:  # held by the app (development, demo data)
        held = send_file(io.BytesIO(found.audio), mimetype="audio/wav", conditional=True, max_age=0)
        held.headers["Cache-Control"] = "no-store"
        return held
    sid = current_app.config["TWILIO_ACCOUNT_SID"]
    # The URL Twilio posted came with the request: never send the credentials where it says.
    audio = recording_audio_url(sid, found.recording_sid) if not found.deleted else None
    if not sid or audio is None:
        abort(404)
    try:
        upstream = requests.get(
            audio, auth=(sid, current_app.config["TWILIO_AUTH_TOKEN"]), stream=True, timeout=10
        )
    except requests.RequestException:
        log.warning("recording %s could not be fetched", found.id)
        abort(404)
    if upstream.status_code != 200:
        upstream.close()
        abort(404)
    streamed = Response(
        stream_with_context(upstream.iter_content(64 * 1024)), mimetype="audio/mpeg"
    )
    streamed.call_on_close(upstream.close)
    return streamed


@bp.post("/availability")
@role_required(*DESK_ROLES)
def availability() -> Response:
    """Mark the agent available (or not) to take queued calls."""
    user = _me()
    wanted = request.form.get("available") == "1"
    if wanted and not user.phone:
        flash(gettext("Set your phone number in your account first."))
        return redirect(url_for("tickets.queue"))
    accounts.set_availability(user, wanted)
    return redirect(url_for("tickets.queue"))


@bp.post("/take-call")
@role_required(*DESK_ROLES)
def take_call() -> Response:
    """Ring the agent's phone for a waiting caller (the one chosen, or the longest-waiting)."""
    try:
        ticket = desk.take_call(_me(), request.form.get("ticket", type=int))
    except desk.Refused as refused:
        db.session.rollback()
        flash(refused.message)
        return redirect(url_for("tickets.queue"))
    if ticket is None:
        flash(gettext("No caller is waiting in your languages."))
        return redirect(url_for("tickets.queue"))
    flash(gettext("Your phone will ring: the caller is put through when you answer."))
    return redirect(url_for("tickets.ticket_page", ticket_id=ticket.id))


@bp.get("/waiting")
@role_required(*DESK_ROLES)
def waiting() -> Response:
    """Tell the queue page who waits in the agent's languages (polled by desk.js, no reload)."""
    user = _me()
    callers = desk.waiting_callers(user)
    return jsonify(
        available=user.available,
        ringing=desk.ringing(user),
        on_call=desk.on_call(user),
        waiting=desk.waiting_count(user),
        callers=[
            {
                "ticket": c.ticket_id,
                "reference": c.reference,
                "language": c.language,
                "language_name": language_name(c.language),
                "waited": seconds_waited(c.waited_seconds),
            }
            for c in callers
        ],
    )
