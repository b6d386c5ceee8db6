"""TwiML out: every webhook answer is built with VoiceResponse and returned by `twiml`."""

from __future__ import annotations

from flask import Response
from twilio.twiml.voice_response import Gather, VoiceResponse

from centre.languages import Language


def twiml(response: VoiceResponse) -> Response:
    """Return the TwiML document as an XML response."""
    return Response(str(response), status=200, mimetype="text/xml")


def say(target: VoiceResponse | Gather, text: str, language: Language) -> None:
    """Add `text`, spoken in `language`'s voice, to a response or a gather."""
    target.say(text, voice=language.voice, language=language.say_language)
