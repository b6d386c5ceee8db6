"""What the phone will say for a version of a service's text, and how long it takes to say.

The sentences come from the phone's own code (`services.spoken_parts`, `phone.answer_sentences`),
so the preview cannot drift from the calls. The length is an estimate from the word count:
words per minute per language (below: usual rates of synthetic voices at their default speed,
slower for Arabic and German whose words are longer; an estimate, not a measurement of Polly),
plus a short pause after each sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import force_locale

from knowledge import phone, services
from knowledge.models import Service, ServiceTranslation

WORDS_PER_MINUTE = {"ar": 120, "fr": 160, "es": 165, "it": 160, "nl": 150, "de": 140, "en": 160}
SENTENCE_PAUSE = 0.4  # seconds after each sentence
SENTENCE_END = re.compile(r"[.!?;:؟؛](\s|$)")


@dataclass(frozen=True)
class Part:
    """One part of the answer: what is read, then the choices offered, with their lengths."""

    text: tuple[str, ...]
    choices: tuple[str, ...]
    text_seconds: float
    seconds: float


@dataclass(frozen=True)
class Preview:
    """The whole answer as the caller hears it, part by part."""

    language: str
    parts: tuple[Part, ...]

    @property
    def text_seconds(self) -> float:
        """Return how long reading every part takes, without the choices."""
        return round(sum(part.text_seconds for part in self.parts), 1)

    @property
    def listen_text(self) -> str:
        """Return every part's text as one string, for the browser's speech synthesis."""
        return " ".join(sentence for part in self.parts for sentence in part.text)


def spoken_seconds(text: str, language: str) -> float:
    """Estimate how many seconds the phone takes to say `text` in `language`."""
    words = len(text.split())
    if not words:
        return 0.0
    pauses = max(1, len(SENTENCE_END.findall(text)))
    return round(words * 60 / WORDS_PER_MINUTE.get(language, 150) + pauses * SENTENCE_PAUSE, 1)


def preview(service: Service, text: ServiceTranslation) -> Preview:
    """Return what a caller in the text's language hears for this version, part by part."""
    entry = services.Published(service, text)
    parts = []
    with force_locale(text.language):
        spoken = services.spoken_parts(entry)
        for index in range(len(spoken)):
            said, choices = phone.answer_sentences(text.title, spoken, index)
            reading = spoken_seconds(" ".join(said), text.language)
            total = reading + spoken_seconds(" ".join(choices), text.language)
            parts.append(Part(tuple(said), tuple(choices), reading, round(total, 1)))
    return Preview(text.language, tuple(parts))
