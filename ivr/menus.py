"""The nodes of the call: language, welcome, main menu, feedback, agent queue, callback, goodbye."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from twilio.twiml.voice_response import Gather

from centre import calendar, languages, notices, phones
from centre.clock import CENTRE_TZ, from_storage, now, to_storage
from centre.extensions import db
from centre.formatting import digit_by_digit, spoken_date, spoken_time
from ivr import state
from ivr.flow import (
    AGENT_OPTION,
    MAIN_MENU_OPTION,
    NOTICE_NODE,
    REPEAT_KEY,
    Go,
    Menu,
    Node,
    Option,
    Reply,
    Step,
    register,
    register_topics,
)
from ivr.twiml import say
from tickets import callbacks
from tickets.models import Ticket
from tickets.services import CallRequest, CallTicket, open_call_ticket

log = logging.getLogger(__name__)


def main_options(step: Step) -> list[Option]:
    """Return the main menu: options other domains registered, then the centre's own."""
    registered: Sequence[Option] = current_app.extensions.get("ivr.main_options", ())
    return [
        *registered,
        Option(
            "3",
            _l("To make a complaint, a suggestion or an observation, press %(key)s."),
            "feedback",
            _l("complaint, suggestion, observation, comment, problem"),
        ),
        AGENT_OPTION,
        Option("9", _l("To change the language, press %(key)s."), "language", _l("language")),
    ]


SpeechListener = Callable[[Step, Reply, Option | None], Go | None]


def register_main_speech(app: Flask, listener: SpeechListener) -> None:
    """Let a domain hear what is said at the main menu first: it returns where that leads, or None.

    The listener is told which option, if any, the words clearly named.
    """
    app.extensions["ivr.main_speech"] = listener


class MainMenu(Menu):
    """The main menu: speech that names no choice clearly is for a registered listener (the guide)."""

    def __init__(self) -> None:
        """Build the main menu from the registered options and the centre's own."""
        super().__init__(
            "main",
            lambda step: (gettext("Main menu."),),
            main_options,
            exhausted="agent",
            kept=True,
            words_follow=(),  # the options the packages registered, in the catalogs' words
        )

    def handle(self, step: Step, reply: Reply) -> Go:
        """Let the speech listener answer first, then choose among the options as usual."""
        listener: SpeechListener | None = current_app.extensions.get("ivr.main_speech")
        if reply.speech and reply.digits != REPEAT_KEY and listener is not None:
            go = listener(step, reply, self.chosen(step, reply))
            if go is not None:
                return go
        return super().handle(step, reply)


def register_main_option(app: Flask, option: Option) -> None:
    """Let a domain add its choice to the main menu (announced only once registered)."""
    options = app.extensions.setdefault("ivr.main_options", [])
    options.append(option)
    options.sort(key=lambda o: o.key)


# --- language ---------------------------------------------------------------------------


class LanguageMenu(Menu):
    """Each language offers itself, in its own voice; digits are the same everywhere."""

    def __init__(self) -> None:
        """Build the language menu from the language table."""
        super().__init__("language", lambda step: (), self._options, exhausted="agent", kept=True)

    def _options(self, step: Step) -> list[Option]:
        names = languages.spoken_names()
        return [
            Option(
                lang.digit,
                "",
                "welcome",
                ", ".join(names[lang.code]),
                effect=partial(_choose_language, code=lang.code),
            )
            for lang in (languages.get(code) for code in step.call.offered.split())
        ]

    def render(self, step: Step) -> None:
        """Greet, then let every language announce itself in its own voice."""
        names = [n for spoken in languages.spoken_names().values() for n in spoken]
        offered = step.call.offered.split()

        def fill(gather: Gather) -> None:
            for position, code in enumerate(offered):
                language = languages.get(code)
                with force_locale(code):
                    if position == 0:
                        welcome = gettext("Welcome to the consular services call centre.")
                        say(gather, welcome, language)
                    text = gettext(
                        "To continue in this language, press %(key)s.", key=language.digit
                    )
                say(gather, text, language)

        # The catalogs and the language table do not change while the app runs: the order of
        # the languages offered is all that tells one language menu from another.
        step.kept_prompt(("language", *offered), fill, speech=True, hints=names)

    def handle(self, step: Step, reply: Reply) -> Go:
        """Pick the language; after three misses, an agent in the first language offered."""
        go = super().handle(step, reply)
        if go.node in ("agent", "call_later"):
            _choose_language(step, step.call.offered.split()[0])
        return go


def _choose_language(step: Step, code: str) -> None:
    step.call.language = code
    state.remember_language(step.call.caller_hash, code)


class Welcome(Node):
    """After the language choice: the hours if the centre is closed, then the main menu.

    The main menu's notices are heard on the way in (see ivr.flow, `register_topics`).
    """

    name = "welcome"

    def enter(self, step: Step) -> Go:
        """Pass on to the main menu, prefaced by the hours when the centre is closed."""
        preface = hours_preface(step.language, step.call.context.get("tz"), now())
        return Go("main", preface=tuple(preface))


def hours_preface(language: languages.Language, zones: str | None, moment: datetime) -> list[str]:
    """Return the sentences saying when agents are back, when the centre is closed at `moment`."""
    availability = calendar.availability(moment)
    if availability.open:
        return []
    return closed_sentences(language, zones, availability.next_opening)


def welcome_preface(
    language: languages.Language,
    country: str | None,
    dialled: str | None,
    zones: str | None,
    moment: datetime,
) -> list[str]:
    """Return what a caller hears before the main menu: the hours if closed, today's notices."""
    said = hours_preface(language, zones, moment)
    return said + notices.active_texts(language.code, country, dialled, moment)


class Notices(Node):
    """The notices of the topic the caller is reaching: a key skips them, `*` says them again."""

    name = NOTICE_NODE

    def render(self, step: Step) -> None:
        """Say the notices inside a short gather: any key interrupts them."""
        texts = notices.texts_of(step.call.context.get("notices_here", ()), step.language.code)
        gather = step.prompt(timeout=2)
        for text in texts:
            say(gather, text, step.language)
        say(gather, gettext("To hear this notice again, press star."), step.language)

    def handle(self, step: Step, reply: Reply) -> Go:
        """Say them again on `*`; on any other key, or silence, go on where the caller was going."""
        if reply.digits == REPEAT_KEY:
            return Go(self.name)
        going = step.call.context.get("notices_next", "main")
        step.set_context(notices_here=None, notices_next=None)
        return Go(going)


def closed_sentences(
    language: languages.Language, zones: str | None, opening: datetime | None
) -> list[str]:
    """Say that agents are away and when they are back (`opening`), in Moroccan and local time."""
    if opening is None:
        return [gettext("Our agents are not available at the moment.")]
    locale = language.babel_locale
    sentences = [
        gettext(
            "Our agents are available again on %(date)s at %(time)s, Moroccan time.",
            date=spoken_date(opening, locale, CENTRE_TZ),
            time=spoken_time(opening, locale, CENTRE_TZ),
        )
    ]
    return sentences + your_time(language, zones, opening)


def your_time(language: languages.Language, zones: str | None, moment: datetime) -> list[str]:
    """Say `moment` in the caller's own time, when their number tells it and it is not Moroccan time.

    `zones` are the number's candidate zones (the call's "tz"): one time is said only when
    they all agree at that moment.
    """
    local = phones.local_zone_apart(zones, moment)
    if local is None:
        return []
    locale = language.babel_locale
    time = spoken_time(moment, locale, local)
    if moment.astimezone(local).date() == moment.astimezone(CENTRE_TZ).date():
        return [gettext("That is %(time)s your time.", time=time)]
    return [
        gettext(
            "That is %(date)s at %(time)s your time.",
            date=spoken_date(moment, locale, local),
            time=time,
        )
    ]


# --- tickets a step opens ------------------------------------------------------------------


def ticket_source(step: Step) -> dict[str, Any]:
    """Return where a ticket this step opens comes from: country, call, step and path so far.

    The source key (the call and its step) makes a replayed webhook find the ticket its
    first delivery opened instead of opening a second one. The path is only written into a
    new ticket: once the call's state holds the ticket it opened, it is not read.
    """
    call = step.call
    return {
        "country": call.country,
        "call_sid": call.call_sid,
        "source_key": f"{call.call_sid}:{call.step}",
        "ivr_path": [] if ticket_opened(step) else step.path(),
    }


def ticket_opened(step: Step) -> bool:
    """Return whether this call opened a ticket already (its state holds the ticket's id)."""
    return step.call.context.get("ticket") is not None


def open_step_ticket(step: Step, kind: str) -> CallTicket:
    """Add the request of `kind` this step leaves for a person to the call's ticket (or open it)."""
    request = CallRequest(
        kind,
        step.language.code,
        state.caller_number(),
        current_app.config["PHONE_HASH_KEY"],
        **ticket_source(step),
    )
    return open_call_ticket(request, opened=ticket_opened(step))


# --- feedback ---------------------------------------------------------------------------


def _feedback_options(step: Step) -> list[Option]:
    return [
        Option(
            "1",
            _l("For a complaint, press %(key)s."),
            "record",
            _l("complaint, problem"),
            effect=lambda s: s.set_context(feedback="complaint"),
        ),
        Option(
            "2",
            _l("For a suggestion, press %(key)s."),
            "record",
            _l("suggestion, idea"),
            effect=lambda s: s.set_context(feedback="suggestion"),
        ),
        Option(
            "3",
            _l("For an observation, press %(key)s."),
            "record",
            _l("observation, comment"),
            effect=lambda s: s.set_context(feedback="observation"),
        ),
        AGENT_OPTION,
        MAIN_MENU_OPTION,
    ]


class Record(Node):
    """Open the ticket first, then record the caller's message for it."""

    name = "record"

    def enter(self, step: Step) -> None:
        """Open the ticket now, so a caller who hangs up without speaking still leaves one."""
        ticket = open_step_ticket(step, step.call.context.get("feedback", "observation"))
        step.set_context(ticket=ticket.id, reference=ticket.reference)
        return None

    def render(self, step: Step) -> None:
        """Invite the message, record it, and fall through if the recording was empty."""
        step.say(gettext("Please leave your message after the tone, then press the hash key."))
        action = step.action_url()
        ticket = step.call.context.get("ticket")
        # Twilio's transcription, asked for only where there is an account to run it.
        transcribe = (
            {"transcribe": True, "transcribe_callback": url_for("ivr.transcription", t=ticket)}
            if current_app.config["TWILIO_ACCOUNT_SID"]
            else {}
        )
        step.response.record(
            action=action,
            method="POST",
            max_length=current_app.config["RECORDING_MAX_SECONDS"],
            finish_on_key="#",
            timeout=5,
            play_beep=True,
            recording_status_callback=url_for("ivr.recording", t=ticket),
            recording_status_callback_method="POST",
            recording_status_callback_event="completed absent",
            **transcribe,
        )
        # Twilio skips the action of an empty recording and carries on here: the same step,
        # without a RecordingUrl.
        step.response.redirect(action, method="POST")

    def handle(self, step: Step, reply: Reply) -> Go:
        """Thank the caller and read the ticket reference back, digit by digit."""
        reference = digit_by_digit(step.call.context.get("reference", ""))
        if reply.params.get("RecordingUrl"):
            thanks = gettext("Thank you, your message has been recorded.")
        else:
            thanks = gettext("We did not hear a message, but your request has been registered.")
        said = gettext("Your reference number is %(reference)s.", reference=reference)
        again = gettext("I repeat: %(reference)s.", reference=reference)
        return Go("main", preface=(thanks, said, again), remember=True)


# --- agents and callbacks ---------------------------------------------------------------


def queue_name(language: str) -> str:
    """Return the Twilio queue of the agents who speak `language`."""
    return f"agents-{language}"


class Agent(Node):
    """Put the caller in their language's queue, or offer a callback when that cannot be."""

    name = "agent"

    def enter(self, step: Step) -> Go | None:
        """Queue the caller with an escalation ticket, or turn to a callback."""
        moment = now()
        call = step.call
        refusal = self._refusal(step)
        if refusal is not None:
            return refusal
        ticket = open_step_ticket(step, "escalated_call")
        call.queue_entered_at = to_storage(moment)
        call.queue_left_at = None
        step.set_context(ticket=ticket.id)
        return None

    def after_misses(self, step: Step) -> Go:
        """Promise a person only when one follows; a hidden number when none can is told when to call."""
        if self._refusal(step) is None:
            return Go(self.name, preface=(gettext("Let me find someone to help you."),))
        if state.caller_number() is None:
            return Go("call_later")  # no agent and no callback: else the menu would loop
        return Go(self.name)

    @staticmethod
    def _refusal(step: Step) -> Go | None:
        """Return the callback offer (and why) when no agent can take the call now, else None."""

        def look_up() -> Go | None:
            availability = calendar.availability(now())
            if not availability.open:
                closed = closed_sentences(
                    step.language, step.call.context.get("tz"), availability.next_opening
                )
                return Go("callback_offer", preface=tuple(closed))
            if ticket_opened(step):  # the ticket it opened holds its path: no events to read
                queued = state.queued_count([step.language.code])
            else:  # the path comes with the queue's length: the ticket opened next needs it
                queued, stored = state.queued_count_and_path(step.language.code, step.call)
                step.keep_path(stored)
            if queued >= current_app.config["QUEUE_MAX_LENGTH"]:
                return Go("callback_offer", preface=(gettext("All our agents are busy."),))
            return None

        return step.once(("agent_refusal", step.language.code), look_up)

    def render(self, step: Step) -> None:
        """Enqueue the caller; the wait page tells them their position."""
        step.say(gettext("Please hold, an agent will answer you shortly."))
        step.response.enqueue(
            queue_name(step.language.code),
            action=step.action_url(),
            method="POST",
            wait_url=url_for("ivr.queue_wait", l=step.language.code),
            wait_url_method="POST",
        )

    def handle(self, step: Step, reply: Reply) -> Go:
        """Record how the caller left the queue and go on from there."""
        result = reply.params.get("QueueResult", "error")
        call = step.call
        call.queue_left_at = to_storage(now())
        call.queue_result = result[:20]
        if result == "bridged":
            return Go("goodbye")
        if result == "hangup":
            return Go("hung_up")
        if result == "redirected" and call.taken_by_id is not None:
            # An agent took this caller: Twilio's queue member update sends the call to the
            # agent's conference and posts this action at once. The caller was put through.
            call.queue_result = "bridged"
            return Go("put_through")
        if result == "leave":
            # The caller asked for a callback from the wait page: keep their place.
            if call.queue_entered_at is not None:
                step.set_context(priority_at=call.queue_entered_at.isoformat())
            return Go("callback")
        return Go("callback_offer", preface=(gettext("All our agents are busy."),))


def _callback_options(step: Step) -> list[Option]:
    return [
        Option(
            "1",
            _l("To be called back, press %(key)s."),
            "callback",
            _l("call me back, callback, yes"),
        ),
        MAIN_MENU_OPTION,
    ]


class CallbackOffer(Menu):
    """Offer a callback; a caller with a hidden number is told to call again instead."""

    def __init__(self) -> None:
        """Build the callback offer menu."""
        super().__init__(
            "callback_offer",
            lambda step: (),
            _callback_options,
            exhausted="call_later",
            kept=True,
        )

    def enter(self, step: Step) -> Go | None:
        """Skip the offer when there is no number to call back."""
        if state.caller_number() is None:
            return Go(
                "main", preface=(gettext("We cannot call you back because your number is hidden."),)
            )
        return None


class BookCallback(Node):
    """Book the callback at the next free slot and confirm it by voice and SMS."""

    name = "callback"

    def enter(self, step: Step) -> Go:
        """Book, text the caller, and say goodbye with the time."""
        call = step.call
        number = state.caller_number()
        if number is None:
            return Go(
                "main", preface=(gettext("We cannot call you back because your number is hidden."),)
            )
        priority = call.context.get("priority_at")
        priority_at = datetime.fromisoformat(priority) if priority else to_storage(now())
        try:
            with db.session.begin_nested():  # a booking refused leaves no ticket behind
                ticket = callbacks.book(
                    number,
                    step.language.code,
                    current_app.config["PHONE_HASH_KEY"],
                    from_storage(priority_at),
                    **ticket_source(step),
                )
        except callbacks.NoCallbackSlot:
            log.warning("call %s: no callback slot free within the booking horizon", call.id)
            full = gettext(
                "We are sorry, no callback time is free in the next two months, "
                "so we cannot book one for you."
            )
            return Go("main", preface=(full,))
        assert ticket.callback is not None  # a booking is a ticket with its callback
        when = from_storage(ticket.callback.scheduled_at)
        locale = step.language.babel_locale
        sentence = gettext(
            "An agent will call you back on %(date)s at %(time)s, Moroccan time.",
            date=spoken_date(when, locale, CENTRE_TZ),
            time=spoken_time(when, locale, CENTRE_TZ),
        )
        sentences = [sentence, *your_time(step.language, call.context.get("tz"), when)]
        reference = gettext(
            "Your reference number is %(reference)s.", reference=digit_by_digit(ticket.reference)
        )
        if not call.context.get("callback_texted"):
            callbacks.confirm(ticket)
            step.set_context(callback_texted=True, reminder_offer=ticket.id)
        return Go("goodbye", preface=(*sentences, reference), remember=True)


class Goodbye(Node):
    """Thank the caller and hang up; after booking a callback, offer a reminder by text first.

    The offer is a short gather before the goodbye: a caller who presses nothing simply
    hears the goodbye, as before.
    """

    name = "goodbye"

    def render(self, step: Step) -> None:
        """Offer the callback reminder (once), then say goodbye and end the call."""
        if type(self) is Goodbye and step.call.context.get("reminder_offer"):
            gather = step.response.gather(
                action=step.action_url(), method="POST", input="dtmf", num_digits=1, timeout=4
            )
            say(
                gather,
                gettext("To receive a text message shortly before we call you, press 1."),
                step.language,
            )
        step.say(gettext("Thank you for calling the consular services. Goodbye."))
        step.response.hangup()

    def handle(self, step: Step, reply: Reply) -> Go:
        """Book the reminder on 1 after a callback; nothing else follows a goodbye."""
        offered = step.call.context.get("reminder_offer")
        step.set_context(reminder_offer=None)
        if offered and reply.digits == "1" and callbacks.ask_reminder(int(offered)):
            step.tell(reminder=True)
            return Go(
                "goodbye",
                preface=(gettext("We will send you a text message shortly before we call."),),
            )
        return Go("goodbye")


class CallLater(Goodbye):
    """No agent now and no callback booked: say when to call again, then hang up."""

    name = "call_later"

    def render(self, step: Step) -> None:
        """Say the centre cannot take the call now and when it can, then goodbye."""
        step.say(gettext("We cannot take your call now."))
        availability = calendar.availability(now())
        if availability.open:
            step.say(gettext("Please call us again in a few minutes."))
        else:
            for sentence in closed_sentences(
                step.language, step.call.context.get("tz"), availability.next_opening
            ):
                step.say(sentence)
        super().render(step)


class PutThrough(Node):
    """A caller an agent took out of the queue: on to the conference where the agent waits."""

    name = "put_through"

    def render(self, step: Step) -> None:
        """Send the caller to their agent, whichever of Twilio's two requests the call follows."""
        taken = sa.select(Ticket.id).where(Ticket.call_sid == step.call.call_sid)
        ticket_id = db.session.scalars(taken.order_by(Ticket.id).limit(1)).first()
        if ticket_id is None:
            step.response.hangup()
            return
        step.response.redirect(url_for("desk_voice.join", t=ticket_id), method="POST")


class HungUp(Goodbye):
    """The caller is gone (hung up while queued): nothing to say."""

    name = "hung_up"

    def render(self, step: Step) -> None:
        """End the call silently."""
        step.response.hangup()


def register_nodes() -> None:
    """Add the centre's own nodes to the call flow: language, welcome, main menu, feedback, agents."""
    register(LanguageMenu())
    register(Welcome())
    register(Notices())
    register(MainMenu())
    register(
        Menu(
            "feedback",
            lambda step: (gettext("We read every message and answer complaints."),),
            _feedback_options,
            exhausted="agent",
            kept=True,
        )
    )
    register(Record())
    register(Agent())
    register_topics("agent", lambda step: [("queue", "")])
    register(CallbackOffer())
    register(BookCallback())
    register(Goodbye())
    register(CallLater())
    register(HungUp())
    register(PutThrough())
