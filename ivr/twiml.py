"""TwiML out: every webhook answer is built with VoiceResponse and returned by `twiml`."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from flask import Response, current_app
from twilio.twiml import TwiML
from twilio.twiml.voice_response import Gather, VoiceResponse

from centre.deadlines import SERVER_FIRST_SECONDS, bound_database_waits
from centre.languages import Language

# What XML 1.0 cannot carry, not even as a character reference: C0 controls but tab and
# newlines, surrogates (a lone one cannot even be encoded as UTF-8), U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def answer_in_time() -> None:
    """Bound this webhook's database waits, so that a hung database still lets it apologise."""
    bound_database_waits(current_app.config["DB_TIMEOUT_SECONDS"] + SERVER_FIRST_SECONDS)


def twiml(response: TwiML) -> Response:
    """Return the TwiML document as an XML response, whatever text went into it.

    Input is checked where it comes in; this is the last line of defence: one stray control
    character in a notice or a guide text must not make every call that reads it unplayable.
    """
    # ElementTree writes such characters as they are (it escapes only markup), and tags and
    # attribute names are ours: one pass over the document removes them from texts and values.
    body = _NOT_XML.sub("", ElementTree.tostring(response.xml(), encoding="unicode"))
    return Response(_DECLARATION + body, status=200, mimetype="text/xml")


def say(target: VoiceResponse | Gather, text: str, language: Language) -> None:
    """Add `text`, spoken in `language`'s voice, to a response or a gather."""
    target.say(text, voice=language.voice, language=language.say_language)
