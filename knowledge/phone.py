"""Main-menu option 1: the consular guide on the phone, by voice or by keypad.

The caller says what they need (or picks a topic, then a service); a clear match is read
in short parts, a close call offers the top three, and no match is logged for editors.
Everything the call needs between webhooks lives in the call row's `context`:
`guide_category`, `guide_choices`, `guide_slug`, `guide_part`, `guide_back`, `guide_texted`,
and `guide_phrase` (the caller's last question: counted for the editors if they then ask for
an agent).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from twilio.twiml.voice_response import Gather

from centre import notices, revisions
from centre.clock import now
from centre.messaging import send_sms
from ivr import state
from ivr.flow import (
    MAIN_MENU_OPTION,
    REPEAT_KEY,
    Go,
    Menu,
    Node,
    Option,
    Reply,
    Step,
    agent_option,
    follow,
    no_choice,
    register,
    register_topics,
    retry,
)
from ivr.twiml import say
from knowledge import search, services
from knowledge.models import GUIDE_REVISION

KEYPAD = "12345678"
HINTS_CHARS = 1000


def _asked_for_agent(step: Step) -> None:
    """Count the caller's last question for the editors: the guide did not help them."""
    phrase = step.call.context.get("guide_phrase")
    if phrase:
        services.log_agent_request(phrase, step.language.code)
        step.set_context(guide_phrase=None)


AGENT = agent_option(effect=_asked_for_agent)
GUIDE_OPTION = Option(
    "1",
    _l("For the consular guide, press %(key)s."),
    "guide",
    _l("guide, information, documents, passport, consular guide"),
)


def _announce(name: str) -> str:
    """Return "For <name>, press %(key)s." with the name safe from %-formatting.

    The options give it lazily: a key pressed is matched without saying their words, and a
    prompt kept is not said again.
    """
    return gettext("For %(name)s, press %(key)s.", name=name.replace("%", "%%"), key="%(key)s")


def _published(step: Step, slug: str) -> services.Spoken | None:
    """Return service `slug` as heard in the caller's language, if published (kept per worker)."""
    language = step.language.code
    return step.once(("guide", slug, language), lambda: services.spoken(slug, language))


def _open_service(step: Step, slug: str, back: str) -> None:
    step.set_context(guide_slug=slug, guide_part=0, guide_back=back)


class GuideMenu(Menu):
    """Say what you need, or choose a topic: the guide's entry point."""

    def __init__(self) -> None:
        """Build the guide's first menu."""
        super().__init__(
            "guide",
            self._intro,
            self._options,
            exhausted="agent",
            kept=True,
            words_follow=(GUIDE_REVISION,),  # its topics and the guide's words for speech
        )

    @staticmethod
    def _intro(step: Step) -> Sequence[str]:
        return (
            gettext("Consular guide."),
            gettext("Tell me in a few words what you need, for example: renew my passport."),
            gettext("Or choose a topic with the keypad."),
        )

    @staticmethod
    def _options(step: Step) -> list[Option]:
        topics = services.categories(step.language.code)
        return [
            *(
                Option(
                    key,
                    LazyString(_announce, name),
                    "guide_category",
                    name,
                    effect=partial(Step.set_context, guide_category=slug, guide_topic_page=0),
                )
                for key, (slug, name) in zip(KEYPAD, topics, strict=False)
            ),
            AGENT,
            MAIN_MENU_OPTION,
        ]

    def hints(self, step: Step, options: Sequence[Option]) -> list[str]:
        """Return the guide's titles and keywords in the caller's language, as many as fit."""
        words: list[str] = []
        size = 0
        for hint in search.hints(step.language.code):
            if size + len(hint) + 2 > HINTS_CHARS:
                break
            words.append(hint)
            size += len(hint) + 2
        return words or super().hints(step, options)

    def handle(self, step: Step, reply: Reply) -> Go:
        """Search what the caller said; keys and menu words go to the menu as usual."""
        if not reply.speech:
            return super().handle(step, reply)
        return answer_speech(step, self, reply)


def answer_speech(step: Step, menu: Menu, reply: Reply) -> Go:
    """Answer speech in a guide menu: a clear answer, else a choice named, else a close call.

    The whole guide is searched, whatever the menu: a caller in the wrong topic is still answered.
    """
    outcome = search.verdict(search.search(reply.speech, step.language.code), step.language.code)
    if outcome.kind == "clear":
        return _read_answer(step, reply.speech, outcome, back=menu.name)
    # "an agent, please" or "main menu" are not guide questions.
    chosen = menu.chosen(step, reply)
    if chosen is not None:
        return follow(step, chosen)
    return _unclear(step, reply.speech, outcome)


def main_menu_speech(step: Step, reply: Reply, chosen: Option | None) -> Go | None:
    """Search the guide for speech at the main menu that named no other choice clearly.

    "ik wil een volmacht" is a guide question; "the guide" alone opens the guide's menu.
    """
    if chosen is not None and chosen.target != GUIDE_OPTION.target:
        return None
    outcome = search.verdict(search.search(reply.speech, step.language.code), step.language.code)
    if outcome.kind == "clear":
        return _read_answer(step, reply.speech, outcome, back="guide")
    if chosen is not None:  # the guide named, nothing clear asked of it: its menu asks
        return None
    return _unclear(step, reply.speech, outcome)


def _read_answer(step: Step, speech: str, outcome: search.Outcome, back: str) -> Go:
    _open_service(step, outcome.matches[0].slug, back)
    step.set_context(guide_phrase=speech[:300])
    return Go("guide_answer")


def _unclear(step: Step, speech: str, outcome: search.Outcome) -> Go:
    """Offer a close call's choices, or say the guide has nothing (and log it for the editors)."""
    step.set_context(guide_phrase=speech[:300])
    if outcome.kind == "close":
        step.set_context(guide_choices=[m.slug for m in outcome.matches])
        found = (
            gettext("I found several possible answers.")
            if len(outcome.matches) > 1
            else gettext("This may be what you are looking for.")  # one service, not sure enough
        )
        return Go("guide_choice", preface=(found,))
    services.log_unmatched(speech, step.language.code)
    return Go("guide_not_found", preface=(gettext("Sorry, I did not find that in the guide."),))


class TopicMenu(Menu):
    """The services of the topic chosen on the keypad."""

    def __init__(self) -> None:
        """Build the topic menu."""
        super().__init__(
            "guide_category",
            self._intro,
            self._options,
            exhausted="agent",
            kept=True,
            words_follow=(GUIDE_REVISION,),  # the topic's name and its services' titles
            words_vary=lambda step: (
                step.call.context.get("guide_category", ""),
                step.call.context.get("guide_topic_page", 0),
            ),
        )

    def enter(self, step: Step) -> Go | None:
        """Go back to the guide if the topic is gone (unpublished meanwhile)."""
        if not self._services(step):
            return Go("guide")
        return None

    @staticmethod
    def _all_services(step: Step) -> list[tuple[str, str]]:
        """Return the topic's services, looked up once per step (entering, then the options)."""
        slug, language = step.call.context.get("guide_category", ""), step.language.code
        return step.once(
            ("guide_category", slug, language), lambda: services.services_in(slug, language)
        )

    @classmethod
    def _services(cls, step: Step) -> list[tuple[str, str]]:
        """Return the services offered on this page of the topic: all of them when they fit.

        A topic larger than the keypad (editors may add services) is read in pages of seven,
        8 offering the next page, so no service is ever out of reach.
        """
        found = cls._all_services(step)
        if len(found) <= len(KEYPAD):
            return found
        page = int(step.call.context.get("guide_topic_page", 0) or 0)
        size = len(KEYPAD) - 1
        if page * size >= len(found):
            page = 0
        return found[page * size : (page + 1) * size]

    @classmethod
    def _more(cls, step: Step) -> list[Option]:
        """Return the choice of the topic's next page, when there is one."""
        found = cls._all_services(step)
        if len(found) <= len(KEYPAD):
            return []
        page = int(step.call.context.get("guide_topic_page", 0) or 0)
        size = len(KEYPAD) - 1
        following = page + 1 if (page + 1) * size < len(found) else 0
        return [
            Option(
                KEYPAD[-1],
                _l("For more services, press %(key)s."),
                "guide_category",
                _l("more, other services"),
                effect=lambda s: s.set_context(guide_topic_page=following),
            )
        ]

    @staticmethod
    def _intro(step: Step) -> Sequence[str]:
        slug = step.call.context.get("guide_category", "")
        names = dict(services.categories(step.language.code))
        return (names[slug],) if slug in names else ()

    def handle(self, step: Step, reply: Reply) -> Go:
        """Search the whole guide for what the caller said; keys choose in the topic."""
        if not reply.speech:
            return super().handle(step, reply)
        return answer_speech(step, self, reply)

    def _options(self, step: Step) -> list[Option]:
        return [
            *(
                Option(
                    key,
                    LazyString(_announce, title),
                    "guide_answer",
                    title,
                    effect=partial(_open_service, slug=slug, back="guide_category"),
                )
                for key, (slug, title) in zip(KEYPAD, self._services(step), strict=False)
            ),
            *self._more(step),
            AGENT,
            Option("9", _l("To return to the guide, press %(key)s."), "guide", _l("guide, back")),
        ]


class ChoiceMenu(Menu):
    """A close call: the top three services, to pick from on the keypad."""

    def __init__(self) -> None:
        """Build the close-call menu."""
        super().__init__(
            "guide_choice",
            lambda step: (),
            self._options,
            exhausted="agent",
            kept=True,
            words_follow=(GUIDE_REVISION,),  # the services' titles
            words_vary=lambda step: tuple(step.call.context.get("guide_choices", [])[:3]),
        )

    def _options(self, step: Step) -> list[Option]:
        found = [
            (slug, entry.title)
            for slug in step.call.context.get("guide_choices", [])[:3]
            if (entry := _published(step, slug)) is not None
        ]
        return [
            *(
                Option(
                    key,
                    LazyString(_announce, title),
                    "guide_answer",
                    title,
                    effect=partial(_open_service, slug=slug, back="guide_choice"),
                )
                for key, (slug, title) in zip(KEYPAD, found, strict=False)
            ),
            AGENT,
            Option(
                "9",
                _l("To say it again in other words, press %(key)s."),
                "guide",
                _l("again, try again"),
            ),
        ]


def _not_found_options(step: Step) -> list[Option]:
    return [
        Option("1", _l("To try again, press %(key)s."), "guide", _l("again, try again, yes")),
        AGENT,
        MAIN_MENU_OPTION,
    ]


class Answer(Node):
    """A service read in short parts: 1 repeat, 2 next, 3 by SMS, * back, 0 agent."""

    def __init__(self, name: str, read_part: bool) -> None:
        """`read_part`: read the current part before the choices (else the choices only)."""
        self.name = name
        self.read_part = read_part

    def enter(self, step: Step) -> Go | None:
        """Go back to the guide if the service is no longer published in this language."""
        entry = self._entry(step)
        if entry is None:
            return Go("guide", preface=(gettext("Sorry, this answer is no longer available."),))
        if self.read_part:
            step.tell(guide=entry.slug)  # the agent reads which answer the caller heard
        return None

    @staticmethod
    def _entry(step: Step) -> services.Spoken | None:
        """Return the service being read, looked up once per step whichever node asks."""
        return _published(step, step.call.context.get("guide_slug", ""))

    @staticmethod
    def _part(step: Step, parts: Sequence[str]) -> int:
        index = step.call.context.get("guide_part", 0)
        return min(max(int(index), 0), len(parts) - 1)

    def render(self, step: Step) -> None:
        """Read the current part, then offer the choices in one gather (serialised once per worker).

        Its words are the service's text in the caller's language at the guide's revision, the
        part and the catalogs' choices: the prompt is kept under those, never stale.
        """
        entry = self._entry(step)
        assert entry is not None  # enter() turned the caller away otherwise
        language = step.language
        index = self._part(step, entry.parts)
        guide = revisions.current(GUIDE_REVISION)
        under = (self.name, language.code, guide, entry.slug, index)
        if step.reuse_prompt(under):
            return
        text, choices = answer_sentences(entry.title, entry.parts, index)
        sentences = (*text, *choices) if self.read_part else tuple(choices)

        def fill(gather: Gather) -> None:
            for sentence in sentences:
                say(gather, sentence, language)

        step.kept_prompt(sentences, fill, also_under=under)

    def handle(self, step: Step, reply: Reply) -> Go:
        """Follow the caller's key; a wrong key or silence counts as a miss, as in every menu."""
        entry = self._entry(step)
        if entry is None:
            return Go("guide")
        parts = entry.parts
        index = self._part(step, parts)
        key = reply.digits[:1]
        if key == "1":
            return Go("guide_answer")
        if key == "2":
            if index + 1 < len(parts):
                step.set_context(guide_part=index + 1)
                return Go("guide_answer")
            return Go("guide_options", preface=(gettext("That was the last part."),))
        if key == "3":
            return Go("guide_options", preface=(_text_answer(step, entry),))
        if key == REPEAT_KEY:
            back = step.call.context.get("guide_back", "guide")
            return Go(back if back in ("guide", "guide_category", "guide_choice") else "guide")
        if key == "0":
            _asked_for_agent(step)
            return Go("agent")
        return retry(step, no_choice(reply), "guide_options", "agent")


def answer_sentences(title: str, parts: Sequence[str], index: int) -> tuple[list[str], list[str]]:
    """Return what a caller hears at part `index` of answer `title`: its text, then the choices."""
    text = [title + ".", parts[index]] if index == 0 else [parts[index]]
    choices = [gettext("To hear this again, press 1.")]
    if index + 1 < len(parts):
        choices.append(gettext("For the next part, press 2."))
    choices += [
        gettext("To receive this answer by text message, press 3."),
        gettext("To go back, press star."),
        gettext("To speak to an agent, press 0."),
    ]
    return text, choices


def _text_answer(step: Step, entry: services.Spoken) -> str:
    """Send the answer by SMS once per service and call; return what to tell the caller."""
    number = state.caller_number()
    if number is None:
        return gettext("We cannot send you a text message because your number is hidden.")
    texted = list(step.call.context.get("guide_texted", []))
    slug = entry.slug
    if slug in texted:
        return gettext("This answer has already been sent to you by text message.")
    call = step.call
    said = notices.heard(
        step.language.code, call.country, call.dialled, now(), _answer_topics(step)
    )
    body = "\n".join([entry.sms, *(text for _, text in said)])
    send_sms(number, body, step.language.code, purpose="guide")
    step.set_context(guide_texted=[*texted, slug])
    step.tell(texted=slug)
    return gettext("We have sent you this answer by text message.")


def _category_topics(step: Step) -> list[notices.Topic]:
    return [("category", step.call.context.get("guide_category", ""))]


def _answer_topics(step: Step) -> list[notices.Topic]:
    """Return the service being read and its category: their notices are for this caller."""
    entry = Answer._entry(step)
    if entry is None:
        return []
    return [("service", entry.slug), ("category", entry.category)]


def register_nodes() -> None:
    """Add the guide's nodes to the call flow."""
    register_topics("guide_category", _category_topics)
    register_topics("guide_answer", _answer_topics)
    register(GuideMenu())
    register(TopicMenu())
    register(ChoiceMenu())
    register(
        Menu(
            "guide_not_found",
            lambda step: (),
            _not_found_options,
            exhausted="agent",
            kept=True,
            words_follow=(),  # the catalogs' words only
        )
    )
    register(Answer("guide_answer", read_part=True))
    register(Answer("guide_options", read_part=False))
