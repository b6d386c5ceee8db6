"""What the guide benchmarks share: the seed guide's index entries and the caller phrasings."""

from __future__ import annotations

import json
from pathlib import Path

from centre.languages import CODES
from knowledge.search import Entry
from knowledge.seed import read_seed

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
# The phrasings the matcher and the seed were written against, the ones written later to
# tune on without touching the held-out set, and the ones kept apart.
TUNING = DATA / "guide_phrases.json"
DEV = DATA / "guide_phrases_dev.json"
# A second development set, written to tune the larger guide once the fresh set had been seen.
DEV2 = DATA / "guide_phrases_dev2.json"
# A third, written on 6 December for the weakest languages (Arabic with Darija, German, Spanish).
DEV3 = DATA / "guide_phrases_dev3.json"
# A fifth, written on 7 December before the matcher was studied, Arabic first (three a service:
# two in Darija with French loanwords, one in MSA), one a service in Dutch, English and French.
DEV5 = DATA / "guide_phrases_dev5.json"
# A sixth, written on 7 December before the matcher was studied again: four a service in Arabic
# (two in Darija, two in MSA), French and English, three in Dutch, German, Italian and Spanish.
DEV6 = DATA / "guide_phrases_dev6.json"
# A seventh, written on 7 December before its answers were seen: three a service in every
# language (Arabic half Darija in Arabic script, half MSA; the others situations told before the
# request, some mixing two services'), Arabic and the Latin-script languages by two engineers.
DEV7 = DATA / "guide_phrases_dev7.json"
# An eighth, written on 7 December before its answers were seen: three a service in every
# language, callers' situations in everyday words rather than the service's title.
DEV8 = DATA / "guide_phrases_dev8.json"
# A ninth, written on 8 December before its answers were seen: three a service in every
# language (Arabic half Darija, some with French words, half MSA; the others callers' situations
# in everyday words).
DEV9 = DATA / "guide_phrases_dev9.json"
HELD_OUT = DATA / "guide_phrases_held_out.json"
# Written after the guide grew to the ministry's catalogue, never tuned on, reported apart.
FRESH = DATA / "guide_phrases_fresh.json"
# Written once the tuning on the second development set was done, never tuned on, reported apart.
FINAL = DATA / "guide_phrases_final.json"
# Written after the last tuning round (measured once the final set had been), never tuned on.
CLOSING = DATA / "guide_phrases_closing.json"
# Written blind on 6 December from the services' descriptions, by someone who never saw the
# matcher's work nor the other sets, while the example questions were written; measured once.
BLIND = DATA / "guide_phrases_blind.json"
# A second blind set, written on 6 December from the services' slugs, titles and first summary
# sentences only, sealed while that session's matcher and seed changes were made; measured once.
BLIND2 = DATA / "guide_phrases_blind2.json"
BLIND3 = DATA / "guide_phrases_blind3.json"
# A fourth, written on the morning of 7 December as the third was, sealed while that session's
# matcher and sources work was done; measured once before it and once after.
BLIND4 = DATA / "guide_phrases_blind4.json"
# A fifth, written on 7 December for the 44-service guide before its last six services existed,
# sealed while they and the Arabic work were done; measured after that work only.
BLIND5 = DATA / "guide_phrases_blind5.json"
# A sixth, written on 7 December from the 44 services' slugs, English titles and first summary
# sentences only, sealed while others tuned the search; measured by the lead, never tuned on.
BLIND6 = DATA / "guide_phrases_blind6.json"
# A seventh, written on 8 December the same way (slugs, English titles, first summary sentences
# only) after the eighth development round, sealed for the lead to measure; never tuned on.
BLIND7 = DATA / "guide_phrases_blind7.json"
# Everyday questions the guide does not answer: one set to tune the confidence on, one kept apart.
OUT_OF_SCOPE_DEV = DATA / "guide_out_of_scope_dev.json"
# More of them to tune on, written on 6 December, most in Spanish (its blind refusals were weakest).
OUT_OF_SCOPE_DEV3 = DATA / "guide_out_of_scope_dev3.json"
# Twenty a language, written with the fifth development set, some near the guide's words.
OUT_OF_SCOPE_DEV5 = DATA / "guide_out_of_scope_dev5.json"
# Fifteen a language (twenty-five in Arabic), written with the sixth development set.
OUT_OF_SCOPE_DEV6 = DATA / "guide_out_of_scope_dev6.json"
# Twenty a language, written with the seventh development set, many near a service's words (a GP
# appointment, driving lessons, the residence country's papers).
OUT_OF_SCOPE_DEV7 = DATA / "guide_out_of_scope_dev7.json"
# Twenty a language, written with the eighth development set, most near a service's words (the
# residence country's health card, residence card, driving licence, benefits and taxes).
OUT_OF_SCOPE_DEV8 = DATA / "guide_out_of_scope_dev8.json"
# Twenty a language, written with the ninth development set; in Arabic, Dutch, German and English
# most near a service's words (the residence country's own offices and papers, a bank, insurance,
# travel bookings).
OUT_OF_SCOPE_DEV9 = DATA / "guide_out_of_scope_dev9.json"
OUT_OF_SCOPE = DATA / "guide_out_of_scope_held_out.json"
OUT_OF_SCOPE_BLIND = DATA / "guide_out_of_scope_blind.json"
OUT_OF_SCOPE_BLIND2 = DATA / "guide_out_of_scope_blind2.json"
OUT_OF_SCOPE_BLIND3 = DATA / "guide_out_of_scope_blind3.json"
OUT_OF_SCOPE_BLIND4 = DATA / "guide_out_of_scope_blind4.json"
OUT_OF_SCOPE_BLIND5 = DATA / "guide_out_of_scope_blind5.json"
OUT_OF_SCOPE_BLIND6 = DATA / "guide_out_of_scope_blind6.json"
OUT_OF_SCOPE_BLIND7 = DATA / "guide_out_of_scope_blind7.json"


def phrases(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Return a phrase set's (phrase, expected slug) pairs by language code."""
    found = json.loads(path.read_text(encoding="utf-8"))
    pairs = {code: [(p, s) for p, s in items] for code, items in found.items() if code != "_about"}
    return {code: pairs.get(code, []) for code in {*pairs, *CODES}}


def questions(path: Path) -> dict[str, list[str]]:
    """Return an out-of-scope set's questions by language code."""
    found = json.loads(path.read_text(encoding="utf-8"))
    asked = {code: list(items) for code, items in found.items() if code != "_about"}
    return {code: asked.get(code, []) for code in {*asked, *CODES}}


def seed_entries(language: str) -> list[Entry]:
    """Return the seed guide's entries in `language`, as the published seed is indexed."""
    facts, texts = read_seed()
    entries = []
    for service in facts["services"]:
        text = texts[language][service["slug"]]
        terms = (*text["keywords"], *text.get("synonyms", []))
        entries.append(
            Entry(
                service["slug"],
                text["title"],
                tuple(terms),
                text["summary"] + " " + text.get("eligibility", ""),
                tuple(text.get("examples", [])),
            )
        )
    return entries
