"""How like a service's example questions a caller's phrase is: nearest neighbours by words and letters.

A matcher of titles and synonyms finds the phrasings it was given, not the next ones: a
caller says "my son was born last week", not "birth declaration". So each service also
carries example questions, told the roundabout way callers tell them, and a phrase is
compared with every example of every service as a vector of its words and of the runs of
three to five letters inside them (TF-IDF, cosine). The runs of letters reach other forms of
a word ("décédée", "décès"; "ولدات", "ولادة"), a misheard one, and German compounds; a
rare word shared counts for more than a common one.

A service's likeness is half that of its nearest examples (the nearest, with a little of
the second: one lucky example is weaker evidence than two) and half that of all its examples
at once (their centroid: the words its callers use, whatever their situation). A feature's
weight is by how few services' examples use it. Built once per guide revision, with the term
index; a search is a sparse product, posting list by posting list.

Nearness alone weighs every example alike, however typical of its service: an example of the
marriage that happens to share "town hall" with the transcription's pulls as hard as one that
says what only the marriage's say. So each service also gets a weight per example, learned
once per revision by kernel ridge regression (each example's likeness to every other, solved
so that every example points to its own service and not to the others): a phrase's learned
score for a service is its likeness to every example, through those weights. On the seed's
examples, cross-validated, that finds the right service first about 80% of the time instead
of 76%, and is as cheap to search (one product with the likenesses already computed).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from knowledge.normalise import tokens

GRAMS = (3, 4, 5)  # lengths of the runs of letters compared, inside one word
WORD_WEIGHT = 2.0  # a whole word shared counts for this many runs of letters' worth
SECOND = 0.35  # how much the second nearest example of a service adds to the nearest
CENTRAL = 0.5  # the share of the likeness to all of a service's examples at once (its centroid)
RIDGE = 1.0  # how strongly the learned weights are held back (chosen on the cross-validation)
LEARNED_ROWS = (
    3000  # at most this many examples are learned from (the system solved grows as its square)
)


def features(text: str, language: str) -> Counter[str]:
    """Return the words of `text` and the runs of letters inside them, counted."""
    found: Counter[str] = Counter()
    for word in tokens(text, language):
        found["w " + word] += 1
        padded = f"<{word}>"
        for n in GRAMS:
            for i in range(len(padded) - n + 1):
                found[padded[i : i + n]] += 1
    return found


class ExampleIndex:
    """The example questions of one language's services, as TF-IDF vectors by feature."""

    def __init__(self, language: str, examples: Sequence[tuple[int, str]], services: int) -> None:
        """Vectorise every (service index, example question) of `examples` once."""
        self.language = language
        self.services = services
        counted = [(owner, features(text, language)) for owner, text in examples]
        counted = [(owner, found) for owner, found in counted if found]
        self.owners = np.array([owner for owner, _ in counted], dtype=np.int64)
        # How distinctive a feature is: by how many services' examples use it, not how many
        # examples ("consulate" is in every service's, "coffin" in one).
        users: dict[str, set[int]] = {}
        for owner, found in counted:
            for feature in found:
                users.setdefault(feature, set()).add(owner)
        total = services + 1
        self.idf = {f: math.log(total / len(u)) for f, u in users.items()}
        vectors = [(owner, self._weigh(found)) for owner, found in counted]
        self.postings = _postings((row, vector) for row, (_, vector) in enumerate(vectors))
        self.size = len(vectors)
        # Each service's centroid: the sum of its examples' vectors, made unit again.
        sums: dict[int, dict[str, float]] = {}
        for owner, vector in vectors:
            total_vector = sums.setdefault(owner, {})
            for feature, weight in vector.items():
                total_vector[feature] = total_vector.get(feature, 0.0) + weight
        self.central = _postings((owner, _unit(vector)) for owner, vector in sums.items())
        self.learned_rows, self.weights = self._learn([vector for _, vector in vectors])

    def _weigh(self, found: Counter[str]) -> dict[str, float]:
        """Return the unit TF-IDF vector of counted features (unknown features left out)."""
        vector = {}
        for feature, count in found.items():
            idf = self.idf.get(feature)
            if idf is None:
                continue
            weight = (1.0 + math.log(count)) * idf
            vector[feature] = weight * WORD_WEIGHT if feature.startswith("w ") else weight
        return _unit(vector)

    def _learn(self, vectors: list[dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Return the rows learned from and, per row and service, its learned weight.

        Kernel ridge regression on the examples' cosines: (K + RIDGE I) weights = one-hot owners.
        Past LEARNED_ROWS examples, each service's first ones are taken, round by round.
        """
        rank = np.zeros(len(vectors), dtype=np.int64)
        seen: Counter[int] = Counter()
        for row, owner in enumerate(self.owners):
            rank[row] = seen[int(owner)]
            seen[int(owner)] += 1
        rows = np.sort(np.argsort(rank, kind="stable")[:LEARNED_ROWS])
        if not len(rows):
            return rows, np.zeros((0, self.services))
        position = np.full(len(vectors), -1)
        position[rows] = np.arange(len(rows))
        kernel = np.zeros((len(rows), len(rows)))
        for found, weights in self.postings.values():
            kept = position[found]
            mask = kept >= 0
            kept, weights = kept[mask], weights[mask]
            if len(kept):
                kernel[np.ix_(kept, kept)] += np.outer(weights, weights)
        targets = np.zeros((len(rows), self.services))
        targets[np.arange(len(rows)), self.owners[rows]] = 1.0
        kernel[np.diag_indices_from(kernel)] += RIDGE
        return rows, np.linalg.solve(kernel, targets)

    def similarities(self, phrase: str) -> tuple[np.ndarray, np.ndarray]:
        """Return, per service, how like its examples `phrase` is (0-1), and its learned score.

        The first is the likeness to the nearest examples and the centroid; the second, the
        likeness to every example through the weights learned for the service (about 0-1).
        """
        likeness = np.zeros(self.services)
        if not self.size:
            return likeness, np.zeros(self.services)
        found = features(phrase, self.language)
        # The phrase's own norm counts the features no example has: a question about
        # ferries is not made like one about passports by dropping the word "ferry".
        vector = self._weigh_phrase(found)
        cosine = _product(self.postings, vector, self.size)
        if not cosine.any():
            return likeness, np.zeros(self.services)
        learned = cosine[self.learned_rows] @ self.weights
        # Nearest and second nearest example per service.
        order = np.lexsort((-cosine, self.owners))
        owners = self.owners[order]
        ranked = cosine[order]
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        first = ranked[starts]
        has_second = np.r_[starts[1:], len(owners)] - starts > 1
        second = np.where(has_second, ranked[np.minimum(starts + 1, len(ranked) - 1)], 0.0)
        likeness[owners[starts]] = (first + SECOND * second) / (1 + SECOND)
        centre = _product(self.central, vector, self.services)
        return (1 - CENTRAL) * likeness + CENTRAL * centre, learned

    def _weigh_phrase(self, found: Counter[str]) -> dict[str, float]:
        """Return the phrase's unit vector; a feature no example has weighs as the rarest."""
        rarest = max(self.idf.values(), default=1.0)
        vector = {}
        for feature, count in found.items():
            weight = (1.0 + math.log(count)) * self.idf.get(feature, rarest)
            vector[feature] = weight * WORD_WEIGHT if feature.startswith("w ") else weight
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        return {f: w / norm for f, w in vector.items() if f in self.idf}


def _unit(vector: dict[str, float]) -> dict[str, float]:
    """Return `vector` scaled to length 1."""
    norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
    return {f: w / norm for f, w in vector.items()}


def _postings(
    rows: Iterable[tuple[int, dict[str, float]]],
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return, per feature, the rows using it and its weight in each, as arrays."""
    lists: dict[str, tuple[list[int], list[float]]] = {}
    for row, vector in rows:
        for feature, weight in vector.items():
            found, weights = lists.setdefault(feature, ([], []))
            found.append(row)
            weights.append(weight)
    return {
        f: (np.array(r, dtype=np.int64), np.array(w, dtype=np.float64))
        for f, (r, w) in lists.items()
    }


def _product(
    postings: dict[str, tuple[np.ndarray, np.ndarray]], vector: dict[str, float], size: int
) -> np.ndarray:
    """Return the dot product of `vector` with each of `size` rows held as posting lists."""
    rows, weights = [], []
    for feature, weight in vector.items():
        posting = postings.get(feature)
        if posting is not None:
            rows.append(posting[0])
            weights.append(posting[1] * weight)
    if not rows:
        return np.zeros(size)
    return np.bincount(np.concatenate(rows), weights=np.concatenate(weights), minlength=size)
