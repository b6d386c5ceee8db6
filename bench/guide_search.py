"""Guide search latency (p50/p99) over the seed guide and over a guide of 2,000 services per language.

Run by hand: `python bench/guide_search.py [--rounds N]`. Each language's caller phrasings
(tests/data/guide_phrases.json) are searched in turn against an index built once, as a
worker does; a second table adds the per-search revision check against a SQLite database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.guide import TUNING, phrases, seed_entries  # noqa: E402
from centre.languages import CODES  # noqa: E402
from knowledge.search import Entry, GuideIndex  # noqa: E402

PHRASES = phrases(TUNING)
INFLATED = 2000


def inflated_entries(language: str, size: int = INFLATED) -> list[Entry]:
    """Return `size` services: the seed's, then made-up ones with terms of the same words."""
    seed = seed_entries(language)
    words = sorted({w for e in seed for t in (e.title, *e.terms) for w in t.split()})
    rng = random.Random(f"guide-{language}")
    entries = list(seed)
    while len(entries) < size:
        model = seed[len(entries) % len(seed)]
        terms = tuple(" ".join(rng.sample(words, rng.randint(1, 4))) for _ in model.terms)
        title = " ".join(rng.sample(words, 3))
        entries.append(Entry(f"{model.slug}-{len(entries)}", title, terms))
    return entries


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Return p50 and p99 of `samples` (milliseconds)."""
    cuts = statistics.quantiles(samples, n=100)
    return statistics.median(samples), cuts[98]


def columns(wall: list[float], cpu: list[float]) -> str:
    """Return the table's last four columns: wall-clock p50 and p99, then CPU p50 and p99."""
    return "".join(f"{value:>9.3f}" for value in (*percentiles(wall), *percentiles(cpu)))


def measure(index: GuideIndex, phrases: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """Search every phrase `rounds` times; return each search's wall and CPU time in ms.

    On a busy machine the wall-clock tail is mostly time spent descheduled; the CPU
    time (this thread's) shows what the search itself costs.
    """
    wall, cpu = [], []
    for _ in range(rounds):
        for phrase in phrases:
            start, start_cpu = time.perf_counter(), time.thread_time()
            index.search(phrase)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def main() -> None:
    """Print the latency tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    rounds = parser.parse_args().rounds
    print(
        f"{'guide':<22}{'lang':<6}{'services':>9}{'terms':>8}{'build ms':>10}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'cpu p50':>9}{'cpu p99':>9}"
    )
    for label, build in (("seed", seed_entries), ("inflated", inflated_entries)):
        everything: list[float] = []
        everything_cpu: list[float] = []
        for code in CODES:
            entries = build(code)
            start = time.perf_counter()
            index = GuideIndex(code, entries)
            built = (time.perf_counter() - start) * 1000
            phrases = [p for p, _ in PHRASES[code]]
            index.search(phrases[0])  # warm up
            times, cpu = measure(
                index, phrases, rounds if label == "seed" else max(2, rounds // 10)
            )
            everything += times
            everything_cpu += cpu
            print(
                f"{label:<22}{code:<6}{len(entries):>9}{len(index.terms):>8}{built:>10.1f}"
                + columns(times, cpu)
            )
        print(f"{label + ' (all languages)':<22}{'':<33}" + columns(everything, everything_cpu))
    print(with_database(rounds))


def with_database(rounds: int) -> str:
    """Time `knowledge.search.search` itself: the revision check plus the search (SQLite)."""
    from app import create_app
    from centre.extensions import db
    from knowledge import search
    from knowledge.seed import load_seed

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "APP_ENV": "testing"}
        )
        with app.app_context():
            db.create_all()
            load_seed()
            db.session.commit()
            times: list[float] = []
            for code in CODES:
                phrases = [p for p, _ in PHRASES[code]]
                search.search(phrases[0], code)
                for _ in range(rounds):
                    for phrase in phrases:
                        start = time.perf_counter()
                        search.search(phrase, code)
                        times.append((time.perf_counter() - start) * 1000)
            p50, p99 = percentiles(times)
            db.session.remove()
    return f"seed, through search() with the revision check on SQLite: p50 {p50:.3f} ms, p99 {p99:.3f} ms"


if __name__ == "__main__":
    main()
