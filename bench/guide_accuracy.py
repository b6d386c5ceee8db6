"""Print the guide search's accuracy per language, and how it answers questions outside the guide.

Run by hand: `python bench/guide_accuracy.py [-v] [--dev] [--only WORD,...]` (-v lists the
misses of the sets tuned on, never those of a held-out set; --dev measures the sets tuned on
only, leaving every held-out set unread: what to run while tuning, so no held-out figure is seen
twice; --only measures the sets whose file name holds one of the words, "examples" for the
cross-validation). It searches an index built from the seed files, exactly as
the published seed guide is indexed.

The tuning set (tests/data/guide_phrases.json) holds the phrasings the matcher and the seed
were written against, some of them seed keywords or synonyms word for word: its figure is
flattering. The development set (tests/data/guide_phrases_dev.json) holds caller phrasings
written later to tune on, none a seed term: its misses are the ones to study. The held-out
set (tests/data/guide_phrases_held_out.json) was never tuned on and holds no seed term
(tests/test_guide.py checks both); the fresh held-out set (guide_phrases_fresh.json) was
written when the guide grew to the ministry's catalogue, before any result on it was seen.
The second development set (guide_phrases_dev2.json) was written in three batches to tune
the larger guide on; the final held-out set before its last batch, the closing held-out set
(guide_phrases_closing.json) after it. The closing set's figure is the one to quote: the
totals of the others were read while the weights and the seed's words were chosen.

The seed's example questions (knowledge/seed/examples.json, 8-21 per service and language,
the life situation told the roundabout way) are what the search compares a phrase with; they
are measured by 5-fold cross-validation: each fifth is searched in an index built without it
(the folds are fixed, so the figure is repeatable). A phrase set's figure is that of the whole
seed, examples included: none of the sets' phrases is an example (tests/test_guide.py checks).

Questions the guide does not answer (money transfers, ferries, parcels, jobs, taxes abroad)
are counted by what the caller would hear: one service read as if it were the answer
("confident wrong", the figure to keep at 5% or less), a choice of services, or "not in the
guide" with an agent offered. The set tuned on and the set kept apart are printed apart.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.guide import (  # noqa: E402
    BLIND,
    BLIND2,
    BLIND3,
    BLIND4,
    BLIND5,
    BLIND6,
    BLIND7,
    CLOSING,
    DEV,
    DEV2,
    DEV3,
    DEV5,
    DEV6,
    DEV7,
    DEV8,
    DEV9,
    FINAL,
    FRESH,
    HELD_OUT,
    OUT_OF_SCOPE,
    OUT_OF_SCOPE_BLIND,
    OUT_OF_SCOPE_BLIND2,
    OUT_OF_SCOPE_BLIND3,
    OUT_OF_SCOPE_BLIND4,
    OUT_OF_SCOPE_BLIND5,
    OUT_OF_SCOPE_BLIND6,
    OUT_OF_SCOPE_BLIND7,
    OUT_OF_SCOPE_DEV,
    OUT_OF_SCOPE_DEV3,
    OUT_OF_SCOPE_DEV5,
    OUT_OF_SCOPE_DEV6,
    OUT_OF_SCOPE_DEV7,
    OUT_OF_SCOPE_DEV8,
    OUT_OF_SCOPE_DEV9,
    TUNING,
    phrases,
    questions,
    seed_entries,
)
from centre.languages import CODES  # noqa: E402
from knowledge.normalise import normalise  # noqa: E402
from knowledge.search import GuideIndex, verdict  # noqa: E402


@dataclass
class Score:
    """How one language (or all of them) fared on a phrase set."""

    phrases: int = 0
    top1: int = 0
    top3: int = 0
    seed_terms: int = 0  # phrases that are a seed title, keyword or synonym once normalised
    kinds: dict[str, int] = field(default_factory=lambda: {"clear": 0, "close": 0, "none": 0})

    def add(self, other: Score) -> None:
        """Add another language's counts to these."""
        self.phrases += other.phrases
        self.top1 += other.top1
        self.top3 += other.top3
        self.seed_terms += other.seed_terms
        for kind, count in other.kinds.items():
            self.kinds[kind] += count

    def line(self, label: str) -> str:
        """Return the table's row for these counts."""
        n = self.phrases or 1
        return (
            f"{label:<5}{self.phrases:>8}{self.top1 / n:>8.0%}{self.top3 / n:>8.0%}"
            f"{self.kinds['clear']:>8}{self.kinds['close']:>8}{self.kinds['none']:>7}"
            f"{self.seed_terms:>7}"
        )

    def outside_line(self, label: str) -> str:
        """Return the out-of-scope table's row: what callers asking outside the guide hear."""
        n = self.phrases or 1
        clear, close, none = (self.kinds[k] for k in ("clear", "close", "none"))
        return (
            f"{label:<5}{self.phrases:>8}{clear:>7} ({clear / n:>4.0%}){close:>7} ({close / n:>4.0%})"
            f"{none:>7} ({none / n:>4.0%})"
        )


def count_search(
    found: Score, index: GuideIndex, code: str, phrase: str, expected: str, verbose: bool
) -> None:
    """Search one phrase; count it in `found` (top-1, top-3, verdict); print a miss if verbose."""
    matches = index.search(phrase, 3)
    slugs = [m.slug for m in matches]
    found.phrases += 1
    found.kinds[verdict(matches, code).kind] += 1
    found.top1 += bool(slugs) and slugs[0] == expected
    found.top3 += expected in slugs
    if verbose and (not slugs or slugs[0] != expected):
        hits = [(m.slug, m.score) for m in matches]
        print(f"   miss {code}: {phrase!r} -> {hits} (want {expected})")


def score(code: str, pairs: list[tuple[str, str]], verbose: bool) -> Score:
    """Search every phrase of one language in the seed index; count the hits."""
    entries = seed_entries(code)
    index = GuideIndex(code, entries)
    seed = {normalise(t, code) for e in entries for t in (e.title, *e.terms)}
    found = Score()
    for phrase, expected in pairs:
        count_search(found, index, code, phrase, expected, verbose)
        found.seed_terms += normalise(phrase, code) in seed
    return found


def score_examples(code: str, folds: int, verbose: bool) -> Score:
    """Search each fold of the seed's examples in an index built from the other folds."""
    entries = seed_entries(code)
    asked = [(i, text) for i, entry in enumerate(entries) for text in entry.examples]
    order = list(range(len(asked)))
    random.Random(f"folds-{code}").shuffle(order)
    found = Score()
    for fold in range(folds):
        kept_out = set(order[fold::folds])
        kept: dict[int, list[str]] = {}
        for i in order:
            if i not in kept_out:
                kept.setdefault(asked[i][0], []).append(asked[i][1])
        index = GuideIndex(
            code,
            [replace(e, examples=tuple(kept.get(i, ()))) for i, e in enumerate(entries)],
        )
        for i in sorted(kept_out):
            owner, phrase = asked[i]
            count_search(found, index, code, phrase, entries[owner].slug, verbose)
    return found


def score_outside(code: str, asked: list[str], verbose: bool) -> Score:
    """Search questions the guide does not answer; count what a caller would hear."""
    index = GuideIndex(code, seed_entries(code))
    found = Score()
    for question in asked:
        matches = index.search(question, 3)
        outcome = verdict(matches, code)
        found.phrases += 1
        found.kinds[outcome.kind] += 1
        if verbose and outcome.kind != "none":
            hits = [(m.slug, m.score) for m in matches]
            print(f"   {outcome.kind} {code}: {question!r} -> {hits}")
    return found


def main(verbose: bool, dev_only: bool = False, only: Sequence[str] = ()) -> None:
    """Print accuracy per language, one table per phrase set, then the out-of-scope tables.

    `only` keeps the sets whose file name holds one of its words ("blind6": the sixth blind
    set and its out-of-scope questions; "examples": the cross-validation), in a minute or two
    where the whole run takes a quarter of an hour.
    """

    def skipped(path: Path) -> bool:
        return bool(only) and not any(word in path.stem for word in only)

    if not skipped(Path("examples")):
        print("seed's example questions, 5-fold cross-validation: knowledge/seed/examples.json")
        print(
            f"{'lang':<5}{'phrases':>8}{'top-1':>8}{'top-3':>8}{'clear':>8}{'close':>8}{'none':>7}"
        )
        total = Score()
        for code in CODES:
            found = score_examples(code, 5, verbose)
            total.add(found)
            print(found.line(code)[:-7])
        print(total.line("all")[:-7])
        print()
    sets = (
        ("tuning set (flattering)", TUNING, verbose),
        ("development set", DEV, verbose),
        ("second development set", DEV2, verbose),
        ("third development set (ar, de, es first)", DEV3, verbose),
        ("fifth development set (ar first, then nl, en, fr)", DEV5, verbose),
        ("sixth development set (ar, fr, en four a service, others three)", DEV6, verbose),
        ("seventh development set (three a service)", DEV7, verbose),
        ("eighth development set (three a service)", DEV8, verbose),
        ("ninth development set (three a service)", DEV9, verbose),
        ("held-out set", HELD_OUT, False),  # its misses stay unread, or it is held out no more
        ("fresh held-out set (larger guide)", FRESH, False),
        ("final held-out set (before the last tuning round)", FINAL, False),
        ("closing held-out set (after all the tuning)", CLOSING, False),
        ("blind held-out set (written apart from the matcher's work)", BLIND, False),
        ("second blind held-out set (sealed while the seed grew)", BLIND2, False),
        ("third blind held-out set (situations, sealed while the matcher changed)", BLIND3, False),
        ("fourth blind held-out set (situations, sealed on 7 December)", BLIND4, False),
        ("fifth blind held-out set (the 44-service guide, sealed on 7 December)", BLIND5, False),
        ("sixth blind held-out set (sealed while the search was tuned)", BLIND6, False),
        ("seventh blind held-out set (sealed on 8 December)", BLIND7, False),
    )
    for label, path, list_misses in sets:
        if (
            dev_only
            and path not in (TUNING, DEV, DEV2, DEV3, DEV5, DEV6, DEV7, DEV8, DEV9)
            or skipped(path)
        ):
            continue
        print(f"{label}: {path.name}")
        print(
            f"{'lang':<5}{'phrases':>8}{'top-1':>8}{'top-3':>8}{'clear':>8}{'close':>8}"
            f"{'none':>7}{'seed':>7}"
        )
        pairs = phrases(path)
        total = Score()
        for code in CODES:
            found = score(code, pairs[code], list_misses)
            total.add(found)
            print(found.line(code))
        print(total.line("all"))
        print()
    outside = (
        ("out of scope, tuned on", OUT_OF_SCOPE_DEV, verbose),
        ("out of scope, tuned on, third set", OUT_OF_SCOPE_DEV3, verbose),
        ("out of scope, tuned on, fifth set", OUT_OF_SCOPE_DEV5, verbose),
        ("out of scope, tuned on, sixth set", OUT_OF_SCOPE_DEV6, verbose),
        ("out of scope, tuned on, seventh set", OUT_OF_SCOPE_DEV7, verbose),
        ("out of scope, tuned on, eighth set", OUT_OF_SCOPE_DEV8, verbose),
        ("out of scope, tuned on, ninth set", OUT_OF_SCOPE_DEV9, verbose),
        ("out of scope, held out", OUT_OF_SCOPE, False),
        ("out of scope, blind", OUT_OF_SCOPE_BLIND, False),
        ("out of scope, second blind", OUT_OF_SCOPE_BLIND2, False),
        ("out of scope, third blind", OUT_OF_SCOPE_BLIND3, False),
        ("out of scope, fourth blind", OUT_OF_SCOPE_BLIND4, False),
        ("out of scope, fifth blind", OUT_OF_SCOPE_BLIND5, False),
        ("out of scope, sixth blind", OUT_OF_SCOPE_BLIND6, False),
        ("out of scope, seventh blind", OUT_OF_SCOPE_BLIND7, False),
    )
    for label, path, list_answers in outside:
        if skipped(path):
            continue
        if dev_only and path not in (
            OUT_OF_SCOPE_DEV,
            OUT_OF_SCOPE_DEV3,
            OUT_OF_SCOPE_DEV5,
            OUT_OF_SCOPE_DEV6,
            OUT_OF_SCOPE_DEV7,
            OUT_OF_SCOPE_DEV8,
            OUT_OF_SCOPE_DEV9,
        ):
            continue
        print(f"{label}: {path.name}")
        print(f"{'lang':<5}{'asked':>8}{'confident wrong':>17}{'choices':>14}{'not in guide':>17}")
        asked = questions(path)
        total = Score()
        for code in CODES:
            found = score_outside(code, asked[code], list_answers)
            total.add(found)
            print(found.outside_line(code))
        print(total.outside_line("all"))
        print()


if __name__ == "__main__":
    only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else []
    main("-v" in sys.argv, "--dev" in sys.argv, only)
