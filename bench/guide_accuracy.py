"""Print the guide search's top-1 and top-3 accuracy per language on tests/data/guide_phrases.json.

Run by hand: `python bench/guide_accuracy.py [-v]` (-v lists the misses). It searches an
index built from the seed files, exactly as the published seed guide is indexed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from centre.languages import CODES  # noqa: E402
from knowledge.search import Entry, GuideIndex, verdict  # noqa: E402
from knowledge.seed import read_seed  # noqa: E402

PHRASES = ROOT / "tests" / "data" / "guide_phrases.json"


def seed_index(language: str) -> GuideIndex:
    """Return the index of the seed guide in `language`."""
    facts, texts = read_seed()
    entries = [
        Entry(
            s["slug"],
            texts[language][s["slug"]]["title"],
            tuple(
                texts[language][s["slug"]]["keywords"]
                + texts[language][s["slug"]].get("synonyms", [])
            ),
        )
        for s in facts["services"]
    ]
    return GuideIndex(language, entries)


def main(verbose: bool) -> None:
    """Print accuracy per language."""
    phrases = json.loads(PHRASES.read_text(encoding="utf-8"))
    print(f"{'lang':<5}{'phrases':>8}{'top-1':>8}{'top-3':>8}{'clear':>8}{'close':>8}{'none':>7}")
    for code in CODES:
        index = seed_index(code)
        top1 = top3 = 0
        kinds = {"clear": 0, "close": 0, "none": 0}
        for phrase, expected in phrases[code]:
            matches = index.search(phrase, 3)
            slugs = [m.slug for m in matches]
            kinds[verdict(matches).kind] += 1
            top1 += bool(slugs) and slugs[0] == expected
            top3 += expected in slugs
            if verbose and (not slugs or slugs[0] != expected):
                print(
                    f"   miss {code}: {phrase!r} -> {[(m.slug, m.score) for m in matches]} (want {expected})"
                )
        n = len(phrases[code])
        print(
            f"{code:<5}{n:>8}{top1 / n:>8.0%}{top3 / n:>8.0%}"
            f"{kinds['clear']:>8}{kinds['close']:>8}{kinds['none']:>7}"
        )


if __name__ == "__main__":
    main("-v" in sys.argv)
