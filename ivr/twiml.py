"""TwiML out: every webhook answer is built with VoiceResponse and returned by `twiml`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from flask import Response
from twilio.twiml import TwiML
from twilio.twiml.voice_response import Gather, VoiceResponse

from centre.context import this_app
from centre.deadlines import SERVER_FIRST_SECONDS, bound_database_waits
from centre.languages import Language

# What XML 1.0 cannot carry, not even as a character reference: C0 controls but tab and
# newlines, surrogates (a lone one cannot even be encoded as UTF-8), U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def answer_in_time() -> None:
    """Bound this webhook's database waits, so that a hung database still lets it apologise."""
    bound_database_waits(this_app().config["DB_TIMEOUT_SECONDS"] + SERVER_FIRST_SECONDS)


def twiml(response: TwiML) -> Response:
    """Return the TwiML document as an XML response, whatever text went into it.

    Input is checked where it comes in; this is the last line of defence: one stray control
    character in a notice or a guide text must not make every call that reads it unplayable.
    """
    verbs = response.verbs
    kept_only = verbs and all(isinstance(verb, Kept) for verb in verbs)
    if kept_only and not response.attrs and response.value is None:
        # Only verbs serialised earlier (a menu kept): the document is theirs, as it would be.
        body = f"<{response.name}>{''.join(verb.serialised for verb in verbs)}</{response.name}>"
        return Response(_DECLARATION + body, status=200, mimetype="text/xml")
    # ElementTree writes such characters as they are (it escapes only markup), and tags and
    # attribute names are ours: one pass over the document removes them from texts and values.
    body = _NOT_XML.sub("", ElementTree.tostring(response.xml(), encoding="unicode"))
    for verb in verbs:
        if isinstance(verb, Kept):
            body = body.replace(verb.marker, verb.serialised, 1)
    return Response(_DECLARATION + body, status=200, mimetype="text/xml")


class Kept(TwiML):
    """Verbs serialised earlier (a `Template` filled in), put into the document as they are.

    Only a response's own verbs (not a gather's) may be kept: `twiml` looks for them there.
    """

    def __init__(self, serialised: str) -> None:
        """Keep the serialised verbs, already cleaned of what XML cannot carry."""
        super().__init__()
        self.serialised = serialised
        self.marker = f'<Kept ref="{id(self)}" />'  # how ElementTree writes `xml()` below

    def xml(self) -> ElementTree.Element:
        """Return the placeholder that `twiml` replaces with the serialised verbs."""
        return ElementTree.Element("Kept", ref=str(id(self)))


class Template:
    """Verbs built with VoiceResponse and serialised once, with one value put in on each use.

    A menu's words are the same for every caller in a language: they are serialised once per
    worker, and only the value that differs (the action URL, which carries the call's step)
    is escaped and put in where `blank` was.
    """

    def __init__(self, verbs: Sequence[TwiML], blank: str) -> None:
        """Serialise `verbs`, in which `blank` stands for the value (it must need no escaping)."""
        if escape(blank, _QUOTE) != blank:
            raise ValueError(f"a blank that XML escapes: {blank!r}")
        text = "".join(ElementTree.tostring(verb.xml(), encoding="unicode") for verb in verbs)
        self.parts = _NOT_XML.sub("", text).split(blank)

    def fill(self, value: str) -> Kept:
        """Return the verbs with `value` (escaped for text and attributes alike) put in."""
        return Kept(escape(_NOT_XML.sub("", value), _QUOTE).join(self.parts))


_QUOTE = {'"': "&quot;"}  # ElementTree's attributes are in double quotes; `escape` does &, < and >


def say(target: VoiceResponse | Gather, text: str, language: Language) -> None:
    """Add `text`, spoken in `language`'s voice, to a response or a gather."""
    target.say(text, voice=language.voice, language=language.say_language)
