"""The call flow as data: nodes, their prompts and the table from key (or phrase) to next node.

A webhook step is: read the caller's reply, let the current node decide where to `Go`,
enter that node (its side effects), then render its TwiML. Silence, unknown keys and
`*` (repeat) are handled once, here, for every menu.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from flask import current_app, url_for
from flask_babel import LazyString, force_locale, gettext
from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz, utils
from twilio.twiml.voice_response import Gather, VoiceResponse

from centre import languages, notices, revisions
from centre.clock import now
from centre.context import this_app, this_request
from centre.extensions import db
from centre.languages import Language
from ivr import state
from ivr.state import CallState, Event
from ivr.twiml import Template, say

REPEAT_KEY = "*"
MAX_FAILURES = 3  # the third miss in a row leads to a person instead of a loop
SPEECH_MATCH_MIN = 80
SHORT_WORD = 6  # a menu word this short is heard only at its own length (see `_heard_as`)
SAID = "said"  # the call context's key for what the last step said before its prompt
NOTICE_NODE = "notice"  # where a caller hears the notices of the topic they are reaching
T = TypeVar("T")
# The prompts kept by `Step.kept_prompt`, serialised, by their words and settings (per worker).
_KEPT_PROMPTS: dict[Hashable, Template] = {}
KEPT_PROMPTS_MAX = 2000
_ACTION_BLANK = "kept-prompt-action"  # stands for the action URL in a kept prompt
# A menu's prompts by what its words follow (see `Menu`), in `app.extensions`: one per app.
_PROMPTS_BY_REVISION = "ivr.prompts_by_revision"
# The next step's URL in each language, split where the step goes, in `app.extensions`.
_ACTION_URLS = "ivr.action_urls"
_STEP_BLANK = "kept0step"  # stands for the step in an action URL kept


@dataclass(frozen=True)
class Reply:
    """What the caller did in answer to the last prompt."""

    digits: str = ""
    speech: str = ""
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """Return what to record in the call's path: the key, "speech" or "none"."""
        if self.digits:
            return self.digits[:20]
        return "speech" if self.speech else "none"


@dataclass(frozen=True)
class Go:
    """Where a step leads, and what to say before that node's own prompt."""

    node: str
    preface: tuple[str, ...] = ()
    failures: int = 0
    # Keep the preface with the call so a replayed webhook says it again (a ticket reference,
    # a callback time). Off by default: a preface may read back personal data (a birth date).
    remember: bool = False


# In `Step.looked_up`: the call's path as stored before this step (its events come at the end).
_STORED_PATH = "stored path"


@dataclass
class Step:
    """One webhook's worth of work on a call."""

    call: CallState
    response: VoiceResponse = field(default_factory=VoiceResponse)
    event: Event | None = None  # the step being taken, once the caller's reply is known
    looked_up: dict[Hashable, Any] = field(default_factory=dict, repr=False)
    # What the ticket's story tells of this step, kept with its event (see `tell`).
    story: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def language(self) -> Language:
        """Return the caller's language (the first one offered until they choose)."""
        return languages.get(self.call.language or self.call.offered.split()[0])

    def say(self, text: str) -> None:
        """Speak `text` in the caller's language."""
        say(self.response, text, self.language)

    def set_context(self, **changes: Any) -> None:
        """Replace keys of the call's context; a None value removes the key."""
        merged = {**self.call.context, **changes}
        self.call.context = {k: v for k, v in merged.items() if v is not None}

    def tell(self, **facts: Any) -> None:
        """Keep facts of this step for the agent's story ("guide": a service heard...); lists add up."""
        for key, value in facts.items():
            if isinstance(value, list):
                self.story[key] = [*self.story.get(key, []), *value]
            else:
                self.story[key] = value

    def once(self, key: Hashable, look_up: Callable[[], T]) -> T:
        """Return what `look_up` finds, asked once per step: handling, entering and rendering share it."""
        if key not in self.looked_up:
            self.looked_up[key] = look_up()
        return self.looked_up[key]

    def prompt(self, speech: bool = False, hints: Sequence[str] = (), **attributes: Any) -> Gather:
        """Open the gather that posts the caller's answer to the next step; silence is reported after it.

        Keys only by default; with `speech`, recognition in the caller's language with `hints`.
        """
        return self._gather(self.response, self.action_url(), speech, hints, attributes)

    def kept_prompt(
        self,
        words: Hashable,
        fill: Callable[[Gather], None],
        speech: bool = False,
        hints: Sequence[str] = (),
        also_under: Hashable | None = None,
        **attributes: Any,
    ) -> None:
        """Add the prompt `fill` says in its gather (as `prompt` opens it), serialised once per worker.

        `words` is everything `fill` says (the sentences themselves): with the language, the
        hints and the gather's settings it is the key of the prompt kept, so that a change of
        any of them (a guide published, a menu option added) is a new prompt, never a stale
        one. Only the action URL, which carries this call's step, is put in on each use; never
        keep a prompt that says something of the caller (their case, their ticket).
        `also_under`: a second key the prompt is kept under, for `reuse_prompt`.
        """
        key = (words, self.language.code, speech, tuple(hints), tuple(sorted(attributes.items())))
        template = _KEPT_PROMPTS.get(key)
        if template is None:
            scratch = VoiceResponse()
            fill(self._gather(scratch, _ACTION_BLANK, speech, hints, attributes))
            template = Template(scratch.verbs, _ACTION_BLANK)
            if len(_KEPT_PROMPTS) >= KEPT_PROMPTS_MAX:
                _KEPT_PROMPTS.clear()  # guide texts are edited: let old ones go, now and then
            _KEPT_PROMPTS[key] = template
        if also_under is not None:
            kept = current_app.extensions.setdefault(_PROMPTS_BY_REVISION, {})
            if len(kept) >= KEPT_PROMPTS_MAX:
                kept.clear()
            kept[also_under] = template
        self.response.append(template.fill(self.action_url()))

    def reuse_prompt(self, key: Hashable) -> bool:
        """Add the prompt kept under `key` by `kept_prompt(also_under=key)`; tell whether there was one."""
        template = this_app().extensions.get(_PROMPTS_BY_REVISION, {}).get(key)
        if template is None:
            return False
        self.response.append(template.fill(self.action_url()))
        return True

    def _gather(
        self,
        response: VoiceResponse,
        action: str,
        speech: bool,
        hints: Sequence[str],
        attributes: dict[str, Any],
    ) -> Gather:
        language = self.language
        settings: dict[str, Any] = {
            "input": "dtmf",
            "num_digits": 1,
            "timeout": 6,
            "language": language.speech_language,
        }
        if speech:
            settings |= {
                "input": "dtmf speech",
                "speech_model": language.speech_model,
                "speech_timeout": "auto",
            }
            if hints:
                settings["hints"] = ", ".join(hints)[:1000]
        gather = response.gather(action=action, method="POST", **settings | attributes)
        # No input: Twilio falls through to the next verb, which reports the silence.
        response.redirect(action, method="POST")
        return gather

    def path(self) -> list[dict[str, Any]]:
        """Return the call's path for an agent: the steps stored and the one being taken."""
        taken = [self.event.as_path()] if self.event is not None else []
        return self.once(_STORED_PATH, lambda: state.path(self.call)) + taken

    def keep_path(self, stored: list[dict[str, Any]]) -> None:
        """Keep the call's path as stored, read along with something else, for `path`."""
        self.looked_up.setdefault(_STORED_PATH, stored)

    def action_url(self, endpoint: str = "ivr.step", **params: Any) -> str:
        """Return the URL of this call's next step; it carries only the step and language."""
        code = self.language.code
        if params:
            return url_for(endpoint, s=self.call.step, l=code, **params)
        # The same URL but for the step, in a language: built once per app (and script root).
        urls = this_app().extensions.setdefault(_ACTION_URLS, {})
        key = (endpoint, code, this_request().script_root)
        parts = urls.get(key)
        if parts is None:
            parts = urls[key] = url_for(endpoint, s=_STEP_BLANK, l=code).split(_STEP_BLANK)
        return str(self.call.step).join(parts)


class Node:
    """A point in the call: what happens on arrival and what the caller hears there."""

    name: str = ""

    def enter(self, step: Step) -> Go | None:
        """Do the arrival's side effects; return a `Go` to pass the caller straight on."""
        return None

    def render(self, step: Step) -> None:
        """Add this node's TwiML to the step's response."""
        raise NotImplementedError

    def handle(self, step: Step, reply: Reply) -> Go:
        """Decide where the caller's reply leads."""
        raise NotImplementedError

    def input_label(self, reply: Reply) -> str:
        """Return what the call's path records of the reply (the key pressed, by default)."""
        return reply.label

    def after_misses(self, step: Step) -> Go:
        """Return where a caller sent here by three misses in a row goes, and what they hear.

        A node that cannot keep its promise (no agent free, the centre closed) sends the
        caller on to a node that can; none promises a person unless one follows.
        """
        return Go(self.name)


@dataclass(frozen=True)
class Option:
    """One choice of a menu: its key, how it is announced, and where it leads."""

    key: str
    announcement: Any  # a lazy message with %(key)s, e.g. "For a complaint, press %(key)s."
    target: str
    phrases: Any = None  # a lazy, comma-separated list of words a caller may say instead
    effect: Callable[[Step], None] | None = None
    available: Callable[[Step], bool] = lambda step: True


def agent_option(effect: Callable[[Step], None] | None = None) -> Option:
    """Return the choice of a person, on 0 in every menu that offers one."""
    return Option(
        "0",
        _l("To speak to an agent, press %(key)s."),
        "agent",
        _l("agent, person, adviser, operator"),
        effect=effect,
    )


REPEAT_CHOICES = _l("To hear these choices again, press star.")
# A lazy message's translation in each language, as read the first time (see `translated`).
_TRANSLATED: dict[tuple[str, str], str] = {}


def translated(message: Any, language_code: str) -> str:
    """Return a menu's text in the language spoken now (`language_code`, under force_locale).

    The catalogs do not change while the app runs, so a lazy message without variables (an
    option's announcement or phrases) says the same in a language every time: it is looked up
    through Flask-Babel once per language, then read from a dictionary. Anything else (a
    guide's name, a message with variables) is turned into a string as it is.
    """
    if not (isinstance(message, LazyString) and message._func is gettext and not message._kwargs):
        return str(message)
    key = (message._args[0], language_code)
    found = _TRANSLATED.get(key)
    if found is None:
        found = _TRANSLATED[key] = str(message)
    return found


AGENT_OPTION = agent_option()
MAIN_MENU_OPTION = Option(
    "9", _l("To return to the main menu, press %(key)s."), "main", _l("main menu, back")
)


def no_choice(reply: Reply) -> str:
    """Return the apology for a reply that chose nothing: an unknown key or phrase, or silence."""
    if reply.digits or reply.speech:
        return gettext("Sorry, that is not one of the choices.")
    return gettext("Sorry, I did not hear your choice.")


def retry(step: Step, sorry: str, again: str, exhausted: str) -> Go:
    """Count a miss in a row: apologise and go `again`; the third miss leads to `exhausted`.

    The node `exhausted` decides what that caller hears and where they really land.
    """
    failures = step.call.retries + 1
    if failures >= MAX_FAILURES:
        return NODES[exhausted].after_misses(step)
    return Go(again, preface=(sorry,), failures=failures)


class Menu(Node):
    """A prompt followed by a keypad-and-speech choice among options."""

    def __init__(
        self,
        name: str,
        intro: Callable[[Step], Sequence[str]],
        options: Callable[[Step], Sequence[Option]],
        exhausted: str,
        speech: bool = True,
        kept: bool = False,
        words_follow: tuple[str, ...] | None = None,
        words_vary: Callable[[Step], Hashable] | None = None,
    ) -> None:
        """Describe a menu; `exhausted` is where the third failure in a row leads.

        `kept`: its prompt says nothing of the caller, so it is serialised once per worker
        for the same words (see `Step.kept_prompt`). `words_follow`: the revisions its words
        depend on (`centre.revisions`), if nothing else but the caller's language and the
        app's catalogs and options does: the prompt is then found by those revisions' tokens
        and the language, without saying its words again; staff changing what they follow
        move a token, and the words are said afresh. `words_vary`: with `words_follow`, what
        else of the call its words depend on (the topic chosen, the page of it), as a key.
        """
        self.name = name
        self.intro = intro
        self.options = options
        self.exhausted = exhausted
        self.speech = speech
        self.kept = kept
        self.words_follow = words_follow if kept else None
        self.words_vary = words_vary

    def _available(self, step: Step) -> list[Option]:
        return [option for option in self.options(step) if option.available(step)]

    def render(self, step: Step) -> None:
        """Say the intro and every available option inside one gather, then wait."""
        language = step.language
        under = None
        if self.words_follow is not None:
            tokens = tuple(revisions.current(name) for name in self.words_follow)
            varies = self.words_vary(step) if self.words_vary is not None else None
            under = (self.name, language.code, tokens, varies)
            if step.reuse_prompt(under):
                return
        options = self._available(step)
        hints = self.hints(step, options) if self.speech else []
        sentences = (
            *(str(sentence) for sentence in self.intro(step)),
            *(
                translated(option.announcement, language.code) % {"key": option.key}
                for option in options
            ),
            translated(REPEAT_CHOICES, language.code),
        )

        def fill(gather: Gather) -> None:
            for sentence in sentences:
                say(gather, sentence, language)

        if self.kept:
            step.kept_prompt(sentences, fill, speech=self.speech, hints=hints, also_under=under)
        else:
            fill(step.prompt(speech=self.speech, hints=hints))

    def hints(self, step: Step, options: Sequence[Option]) -> list[str]:
        """Return the words speech recognition should expect: the options' phrases."""
        code = step.language.code
        return [p for option in options for p in _phrases(option, code)]

    def handle(self, step: Step, reply: Reply) -> Go:
        """Follow the chosen option; repeat on `*`; count silence and unknown keys."""
        if reply.digits == REPEAT_KEY:
            return Go(self.name, failures=step.call.retries)
        chosen = self.chosen(step, reply)
        if chosen is not None:
            return follow(step, chosen)
        return retry(step, no_choice(reply), self.name, self.exhausted)

    def chosen(self, step: Step, reply: Reply) -> Option | None:
        """Return the available option the caller's key or words clearly chose, if any."""
        return _choose(self._available(step), reply, step.language.code)


def follow(step: Step, option: Option) -> Go:
    """Take the option chosen: its effect, then its target."""
    if option.effect is not None:
        option.effect(step)
    return Go(option.target)


def _phrases(option: Option, language_code: str) -> list[str]:
    if option.phrases is None:
        return []
    return [p.strip() for p in translated(option.phrases, language_code).split(",") if p.strip()]


def _choose(options: Sequence[Option], reply: Reply, language_code: str) -> Option | None:
    if reply.digits:
        return next((o for o in options if o.key == reply.digits), None)
    return clearly_named(options, reply.speech, language_code)


def clearly_named(options: Sequence[Option], speech: str, language_code: str) -> Option | None:
    """Return the one option whose words the caller said as whole words, else None.

    "ik wil een volmacht" does not name "klacht": a phrase is compared with runs of whole
    words, so it is never found inside a longer word. A phrase found within a longer one
    said ("back" in "call me back") counts as the longer; the closest word wins ("deutsch"
    is German, not "dutch"), and two choices named as closely is no choice.
    """
    words = utils.default_process(speech).split() if speech else []
    found: list[tuple[int, int, float, int]] = []  # (first word, after the last, score, option)
    for index, option in enumerate(options):
        for phrase in _phrases(option, language_code):
            wanted = utils.default_process(phrase)
            size = len(wanted.split())
            if not size:
                continue
            for length in {max(1, size - 1), size, size + 1}:
                for start in range(len(words) - length + 1):
                    run = " ".join(words[start : start + length])
                    score = fuzz.ratio(wanted, run)
                    if score >= SPEECH_MATCH_MIN and _heard_as(wanted, run):
                        found.append((start, start + length, score, index))
    kept = [
        (score, index)
        for start, end, score, index in found
        if not any(s <= start and end <= e and e - s > end - start for s, e, _, _ in found)
    ]
    best = max((score for score, _ in kept), default=0)
    named = {index for score, index in kept if score == best}
    return options[named.pop()] if len(named) == 1 else None


def _heard_as(wanted: str, run: str) -> bool:
    """Whether `run` can be `wanted` misheard: a short word only with a sound changed, never
    one added or dropped ("argent" is money, not "agent"; "ou" is not "oui")."""
    if " " in wanted or len(wanted) > SHORT_WORD:
        return True
    return len(run) == len(wanted)


class DigitEntry(Node):
    """A prompt, then several keys ended by `#` (a reference number, a date): keypad only.

    `accept` turns what was typed into a `Go`, or into the sentence saying why it cannot be
    used (counted as a miss, like silence). A lone `*` repeats the prompt. What was typed is
    never written to the call's path: it may be personal.
    """

    def __init__(
        self,
        name: str,
        prompt: Callable[[Step], Sequence[str]],
        accept: Callable[[Step, str], Go | str],
        max_digits: int,
        exhausted: str,
    ) -> None:
        """Describe an entry of at most `max_digits` keys; the third miss leads to `exhausted`."""
        self.name = name
        self.prompt = prompt
        self.accept = accept
        self.max_digits = max_digits
        self.exhausted = exhausted

    def render(self, step: Step) -> None:
        """Say the prompt inside a gather that ends on `#`, then report silence."""
        gather = step.prompt(num_digits=self.max_digits, finish_on_key="#", timeout=8)
        for sentence in self.prompt(step):
            say(gather, sentence, step.language)

    def handle(self, step: Step, reply: Reply) -> Go:
        """Accept the keys typed, or explain and ask again; repeat on a lone `*`."""
        if reply.digits == REPEAT_KEY:
            return Go(self.name, failures=step.call.retries)
        if reply.digits:
            outcome = self.accept(step, reply.digits)
            if isinstance(outcome, Go):
                return outcome
            sorry = outcome
        else:
            sorry = gettext("Sorry, I did not hear anything.")
        return retry(step, sorry, self.name, self.exhausted)

    def input_label(self, reply: Reply) -> str:
        """Record how many keys were typed, never which."""
        if reply.digits == REPEAT_KEY or not reply.digits:
            return reply.label
        return f"entry:{len(reply.digits)}"


NODES: dict[str, Node] = {}
# The topics a caller reaching a node is at, for the notices aimed at them: (kind, key) pairs.
TopicsOf = Callable[[Step], Sequence[notices.Topic]]
TOPICS: dict[str, TopicsOf] = {"main": lambda step: [notices.CENTRE]}


def register(node: Node) -> Node:
    """Add a node to the flow."""
    NODES[node.name] = node
    return node


def register_topics(node_name: str, topics_of: TopicsOf) -> None:
    """Say which topics a caller reaching `node_name` is at: their notices are heard first."""
    TOPICS[node_name] = topics_of


def _notices_before(step: Step, node: str) -> Go | None:
    """Send the caller to hear the notices of `node`'s topics they have not heard yet, if any.

    The notice node says them, then lets the caller on to `node` (see ivr.menus.Notices).
    """
    topics_of = TOPICS.get(node)
    if topics_of is None:
        return None
    call = step.call
    found = notices.heard(
        step.language.code,
        call.country,
        call.dialled,
        now(),
        topics_of(step),
        unless=call.context.get("notices_heard", ()),
    )
    if not found:
        return None
    ids = [ident for ident, _ in found]
    step.tell(notices=ids)
    step.set_context(
        notices_heard=[*call.context.get("notices_heard", ()), *ids],
        notices_here=ids,
        notices_next=node,
    )
    return Go(NOTICE_NODE)


def take(step: Step, reply: Reply) -> Go:
    """Let the current node decide where the caller's reply leads, in the caller's language."""
    node = NODES[step.call.node]
    with force_locale(step.language.code), db.session.no_autoflush:
        go = node.handle(step, reply)
    step.event = Event(step.call.node, node.input_label(reply), go.node)
    if reply.speech:
        step.tell(said=reply.speech[:300])  # as recognised: the agent reads what the caller said
    return go


def arrive(step: Step, go: Go, max_hops: int = 8) -> None:
    """Enter `go.node` (following any hand-offs), then render where the caller lands."""
    preface: list[str] = []
    remembered: list[str] = []
    with force_locale(step.language.code), db.session.no_autoflush:
        for _ in range(max_hops):
            preface.extend(go.preface)
            if go.remember:
                remembered.extend(str(sentence) for sentence in go.preface)
            go = _notices_before(step, go.node) or go
            step.call.node = go.node
            step.call.retries = go.failures
            onward = NODES[go.node].enter(step)
            if onward is None:
                break
            go = onward
        else:
            raise RuntimeError(f"call flow loops at {go.node}")
        # What was said on the way is kept with the call: a retried or duplicated webhook,
        # answered by a replay, must still tell the caller their reference or callback time.
        if remembered or SAID in step.call.context:
            step.call.context[SAID] = remembered
        # Saving moves the call's step on (or fails if another request moved it first), so
        # the URLs rendered below already carry the new step.
        if step.event is None:
            raise RuntimeError("a step arrives only after take() read the caller's reply")
        if step.story:
            step.event = replace(step.event, detail=dict(step.story))
        state.save(step.call, step.event)
        for sentence in preface:
            step.say(sentence)
        NODES[step.call.node].render(step)


def render_current(step: Step) -> None:
    """Say again what the last step said and render the call's node, changing nothing."""
    with force_locale(step.language.code):
        for sentence in step.call.context.get(SAID, ()):
            step.say(sentence)
        NODES[step.call.node].render(step)
