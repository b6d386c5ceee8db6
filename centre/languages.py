"""The seven languages of the centre, and how each is spoken and heard on the phone.

This is the one table that maps a locale to its Twilio voice, its `<Say>` language and
its speech-recognition language. Twilio rejects bare tags such as `fr` for recognition,
so every tag here is a full BCP-47 tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from babel import Locale


@dataclass(frozen=True)
class Language:
    """How one language is offered, spoken and recognised."""

    code: str  # Babel locale and the key used everywhere in the app
    digit: str  # the key that selects it in the language menu, the same in every language
    voice: str  # Amazon Polly voice through Twilio <Say>
    say_language: str  # <Say language=...>
    speech_language: str  # <Gather language=...> for speech recognition
    speech_model: str  # <Gather speechModel=...>, set explicitly
    direction: str = "ltr"

    @property
    def babel_locale(self) -> str:
        """Return the regional locale used to format dates and numbers, e.g. "en_GB"."""
        return self.speech_language.replace("-", "_")

    @property
    def native_name(self) -> str:
        """Return the language's name in itself, e.g. "Deutsch"."""
        return Locale.parse(self.code).get_display_name(self.code) or self.code

    def name_in(self, locale: str) -> str:
        """Return the language's name in `locale`, e.g. "arabe" for Arabic in French."""
        return Locale.parse(self.code).get_display_name(locale) or self.code


LANGUAGES: tuple[Language, ...] = (
    Language("ar", "1", "Polly.Zeina", "arb", "ar-MA", "default", direction="rtl"),
    Language("fr", "2", "Polly.Lea", "fr-FR", "fr-FR", "default"),
    Language("es", "3", "Polly.Lucia", "es-ES", "es-ES", "default"),
    Language("it", "4", "Polly.Bianca", "it-IT", "it-IT", "default"),
    Language("nl", "5", "Polly.Lotte", "nl-NL", "nl-NL", "default"),
    Language("de", "6", "Polly.Vicki", "de-DE", "de-DE", "default"),
    Language("en", "7", "Polly.Amy", "en-GB", "en-GB", "default"),
)
BY_CODE: dict[str, Language] = {language.code: language for language in LANGUAGES}
CODES: tuple[str, ...] = tuple(BY_CODE)
DEFAULT = BY_CODE["fr"]

# The usual first language of callers to each country's toll-free number.
COUNTRY_LANGUAGE: dict[str, str] = {
    "AT": "de",
    "BE": "fr",
    "BG": "en",
    "CH": "fr",
    "CZ": "en",
    "DE": "de",
    "DK": "en",
    "ES": "es",
    "FI": "en",
    "FR": "fr",
    "GB": "en",
    "GR": "en",
    "HR": "en",
    "HU": "en",
    "IE": "en",
    "IT": "it",
    "LU": "fr",
    "MT": "en",
    "NL": "nl",
    "NO": "en",
    "PL": "en",
    "PT": "es",
    "RO": "fr",
    "SE": "en",
    "SI": "en",
    "SK": "en",
}


@cache
def name_in(code: str, locale: str) -> str:
    """Return the name of language `code` in `locale`, e.g. "Arabe" for "ar" in French."""
    if code not in BY_CODE:
        return code
    name = BY_CODE[code].name_in(locale) or code
    return name[:1].upper() + name[1:]


def country_name_in(code: str, locale: str) -> str:
    """Return the name of country `code` in `locale`, e.g. "Allemagne" for "DE" in French."""
    return str(Locale.parse(locale).territories.get(code.upper(), code)) if code else ""


def countries_in(locale: str) -> list[tuple[str, str]]:
    """Return the centre's countries as (code, name in `locale`), in that language's order."""
    names = Locale.parse(locale).territories
    found = [(code, str(names.get(code, code))) for code in COUNTRY_LANGUAGE]
    return sorted(found, key=lambda pair: pair[1].casefold())


def get(code: str | None) -> Language:
    """Return the language for `code`, or the default one when it is unknown."""
    return BY_CODE.get(code or "", DEFAULT)


@cache
def spoken_names() -> dict[str, tuple[str, ...]]:
    """Return, per language code, the ways a caller may name it in any of the seven languages."""
    names: dict[str, tuple[str, ...]] = {}
    for language in LANGUAGES:
        locale = Locale.parse(language.code)
        # Babel names every one of the seven in every other (None is for a locale it lacks).
        variants = {(locale.get_display_name(other) or "").lower() for other in CODES}
        variants.add((locale.get_language_name(language.code) or "").lower())
        variants.discard("")
        names[language.code] = tuple(sorted(variants))
    names["ar"] += ("عربي", "العربي", "arab", "darija")
    return names
