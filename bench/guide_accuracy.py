"""Print the guide search's accuracy per language, on the tuning, development and held-out sets.

Run by hand: `python bench/guide_accuracy.py [-v]` (-v lists the misses of the tuning and
development sets, never the held-out set's). It searches an index built from the seed
files, exactly as the published seed guide is indexed.

The tuning set (tests/data/guide_phrases.json) holds the phrasings the matcher and the seed
were written against, some of them seed keywords or synonyms word for word: its figure is
flattering. The development set (tests/data/guide_phrases_dev.json) holds caller phrasings
written later to tune on, none a seed term: its misses are the ones to study. The held-out
set (tests/data/guide_phrases_held_out.json) was never tuned on and holds no seed term
(tests/test_guide.py checks both): its figure is the one to quote.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.guide import DEV, HELD_OUT, TUNING, phrases, seed_entries  # noqa: E402
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


def score(code: str, pairs: list[tuple[str, str]], verbose: bool) -> Score:
    """Search every phrase of one language in the seed index; count the hits."""
    entries = seed_entries(code)
    index = GuideIndex(code, entries)
    seed = {normalise(t, code) for e in entries for t in (e.title, *e.terms)}
    found = Score()
    for phrase, expected in pairs:
        matches = index.search(phrase, 3)
        slugs = [m.slug for m in matches]
        found.phrases += 1
        found.kinds[verdict(matches).kind] += 1
        found.top1 += bool(slugs) and slugs[0] == expected
        found.top3 += expected in slugs
        found.seed_terms += normalise(phrase, code) in seed
        if verbose and (not slugs or slugs[0] != expected):
            hits = [(m.slug, m.score) for m in matches]
            print(f"   miss {code}: {phrase!r} -> {hits} (want {expected})")
    return found


def main(verbose: bool) -> None:
    """Print accuracy per language, one table per phrase set."""
    sets = (
        ("tuning set (flattering)", TUNING, verbose),
        ("development set", DEV, verbose),
        ("held-out set", HELD_OUT, False),  # its misses stay unread, or it is held out no more
    )
    for label, path, list_misses in sets:
        print(f"{label}: {path.name}")
        print(f"{'lang':<5}{'phrases':>8}{'top-1':>8}{'top-3':>8}{'clear':>8}{'close':>8}"
              f"{'none':>7}{'seed':>7}")  # fmt: skip
        pairs = phrases(path)
        total = Score()
        for code in CODES:
            found = score(code, pairs[code], list_misses)
            total.add(found)
            print(found.line(code))
        print(total.line("all"))
        print()


if __name__ == "__main__":
    main("-v" in sys.argv)
