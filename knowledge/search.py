"""Find the service a caller means, from a few words said or typed, in their language.

Each language's published titles, keywords and synonyms are normalised once into an
index (per worker, rebuilt when the guide's revision moves). A search compares the
phrase's runs of one to four words against every term with rapidfuzz in one C call,
so the phrase "je dois renouveler mon passeport" meets the term "passeport" whole,
and "passe port" or "pasport" still come close. A service then gains a few points for each
other word of the phrase its terms use, the more so the fewer services use that word: "my
passport was stolen, I fly tomorrow" leans to the emergency travel document, not renewal.
The words of a service's own description count too, for less: they reach ways of saying a
need that no editor listed as a synonym.

Titles and synonyms reach the phrasings they were written for, not the next ones: callers
tell their situation ("my mother died in Lyon and we want to bury her at home"), not the
service's name. So each service also carries example questions told that way, and a phrase
gains points by how like its examples it is (`knowledge.neighbours`: words and the runs of
letters inside them, TF-IDF, cosine, through weights learned per service), about LEARNED points
for a phrase said just like them.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import sqlalchemy as sa
from rapidfuzz import fuzz, process

from centre import revisions
from centre.extensions import db
from knowledge.models import GUIDE_REVISION, PUBLISHED, Service, ServiceTranslation
from knowledge.neighbours import ExampleIndex
from knowledge.normalise import MOROCCO, normalise, tokens

MAX_NGRAM = 4
# The thresholds are on the sum of the term score and the learned score of the examples; they
# were chosen on cross-validation over the seed's examples, the development sets and the
# out-of-scope sets tuned on, erring toward a choice: 1 of their 128 questions outside the guide
# read out as an answer (9 before the learned score), 1.3% of the cross-validated examples read
# out wrongly (4.0% before), 39% read out rightly (49% before: more are offered a choice).
CLEAR_MIN = 200  # a best match at least this good ...
CLEAR_MARGIN = 30  # ... and this far ahead of the next is read out directly
ALONE_MIN = 190  # a best match less good is read out directly too ...
ALONE_MARGIN = 60  # ... when no other service comes anywhere near it
CLOSE_MIN = 130  # below this nothing is offered
# ... but in Arabic, where Darija spells the guide's words a dozen ways and the callers' own
# words meet fewer of the examples', a right service scores lower: on the Arabic tuning sets,
# 6% of the phrasings whose first service was right fell under 130 (French 2.4%). A lower bar
# for a choice (never for a clear answer) offers them, and reads no question outside the guide
# out as an answer.
CLOSE_MIN_IN = {"ar": 110}
# Words naming what no consulate does for a caller (a family doctor, a dentist, driving lessons,
# a naturalisation in the country of residence, an interpreter at the hospital, the points of the
# residence country's driving licence and the agency that issues it): a phrase using one asks
# about that, whatever guide words it shares ("an appointment with my GP" is no consular
# appointment, "how many driving lessons" no driving licence question). The ranking stays; only
# the confidence falls: such a phrase is offered a choice, never read one service as the answer.
# Chosen on the out-of-scope sets tuned on (fifth, seventh and eighth), whole words after
# normalisation. Arabic (ninth set): a doctor, a dentist, an early pension ("التقاعد المبكر",
# never a consular life certificate); no Arabic phrase of a development set or an example
# question uses one of these words.
ELSEWHERE = {
    "ar": frozenset({"طبيب", "طبيبه", "دكتور", "اسنان", "مبكر"}),
    "fr": frozenset(
        {"medecin", "generaliste", "dentiste", "conduite", "naturalisation", "interprete", "points"}
    ),
    "es": frozenset(
        {"medico", "dentista", "autoescuela", "naturalizacion", "interprete", "puntos", "dgt"}
    ),
    "it": frozenset(
        {"medico", "dentista", "autoscuola", "naturalizzazione", "interprete", "punti"}
    ),
    "nl": frozenset(
        {"huisarts", "tandarts", "dokter", "rijles", "rijlessen", "rijschool", "tolk", "rdw", "cbr"}
    ),
    "de": frozenset(
        {
            "hausarzt",
            "arzt",
            "zahnarzt",
            "fahrstunden",
            "fahrschule",
            "einburgerung",
            "dolmetscher",
            "punkte",
        }
    ),
    "en": frozenset(
        {"gp", "doctor", "dentist", "lessons", "naturalisation", "naturalization", "interpreter"}
        | {"dvla", "points"}
    ),
}
# Words naming the residence country's own offices and papers (its passport, its town hall, its
# conduct certificate, its vehicle and benefit offices): a phrase using one that names neither
# Morocco nor a Moroccan town asks about that country's paper ("a new Dutch passport at the town
# hall", "a DBS check for my job") and is offered a choice, never one service. Said with Morocco
# it is a consular question ("the IND wants a Moroccan criminal record") and keeps its verdict.
# Chosen on the ninth out-of-scope set tuned on, whole words after normalisation.
RESIDENCE = {
    "fr": frozenset({"francais", "francaise", "prefecture", "caf", "ants"}),
    "es": frozenset({"espanol", "espanola", "comisaria", "extranjeria", "trafico", "sepe", "itv"}),
    "it": frozenset({"italiano", "italiana", "questura", "pra", "revisione"}),
    "nl": frozenset(
        {"nederlands", "nederlandse", "gemeente", "ind", "digid", "brp", "vog", "omtrent", "uwv"}
    ),
    "de": frozenset(
        {"deutsch", "deutsche", "deutschen", "deutscher", "burgeramt", "buergeramt", "jobcenter"}
        | {"auslanderbehorde", "auslaenderbehoerde", "meldebescheinigung", "einbuergerung"}
        | {"strassenverkehrsamt"}
    ),
    # Not "uk": callers name the country they live in ("my card ran out, here in the uk"), and a
    # question about its own papers says "british" or names the office.
    "en": frozenset({"british", "council", "dbs", "hmrc", "benefit"}),
}
# ... and the words that name Morocco: the country's name (`normalise.MOROCCO`, which the
# normaliser also writes after a Moroccan town) and the adjective's forms.
_MOROCCAN_ADJECTIVES = {
    "fr": ("marocain", "marocaine", "marocains", "marocaines"),
    "es": ("marroqui", "marroquies", "marroquina", "marroquinas"),
    "it": ("marocchino", "marocchina", "marocchini", "marocchine"),
    "nl": ("marokkaans", "marokkaanse", "marokkaan", "marokkanen"),
    "de": (
        *("marokkaner", "marokkanerin", "marokkanisch", "marokkanische", "marokkanischen"),
        *("marokkanischer", "marokkanisches", "marokkanischem"),
    ),
    "en": ("moroccan", "moroccans"),
}
MOROCCAN = {
    code: frozenset({MOROCCO[code], *adjectives})
    for code, adjectives in _MOROCCAN_ADJECTIVES.items()
}
LONG_TERM = 6  # terms this long may also be found inside a longer word (German compounds)
HINTS_MAX = 100
WORD_MATCH = 85  # a word of the phrase this close to a word of a service's terms is explained
EXPLAINED = 10.0  # points per word of the phrase a service explains, for the rarest words
HEARD = 85  # a word of the phrase this close to a word of the guide is one the guide knows
UNHEARD = 20.0  # points off every service per word of the phrase the guide never uses ...
WORD_BONUS = 3.0  # points per further word of a term said whole, up to four words
DESCRIBED = 4.0  # points per word of the phrase only a service's description uses, rarest words
DESCRIBED_MATCH = 88  # how close a word of the phrase must be to a word of a description
DESCRIBED_LENGTH = 4  # shorter words of a description say too little
UNHEARD_MAX = 1  # ... for one such word at most: a long, chatty request, or one naming a town,
# is not a stranger one
LIKENESS = 0.0  # points for a phrase just like a service's nearest examples (cosine 1) ...
LIKENESS_FLOOR = 0.1  # ... above this much likeness, which one shared everyday word gives;
# nothing since the learned score: on the cross-validation it only blurred it
LEARNED = 200.0  # points per unit of learned score (about 1 for a phrase just like its examples)


CLITICS = ("ف", "ل", "ب", "و", "ك")
CLITIC_LENGTH = 5  # shorter words begun so are more often words of their own ("بلاد", "وقت")


def _carries_clitic(word: str) -> bool:
    """Return whether an Arabic `word` may be a preposition or "and" written onto a word."""
    return len(word) >= CLITIC_LENGTH and word[0] in CLITICS


# "my", "his", "her", "our", "your" are written onto the noun ("بطاقتي", my card; "وفاته", his
# death), and the noun's final ة (read as ه) is then written ت: "بطاقتي" is "بطاقه" + "ي".
POSSESSIVES = ("تهما", "تكم", "تهم", "تها", "تنا", "تي", "ته", "تك")
PRONOUNS = ("ي", "ها", "هم", "نا", "كم")  # ... and onto other nouns as they are ("جوازي")
POSSESSIVE_LENGTH = 5  # shorter words so ended are more often words of their own ("بيتي")


def _arabic_forms(word: str) -> list[str]:
    """Return the other ways an Arabic `word` may be read: without a clitic, or a possessive."""
    forms = [word[1:]] if _carries_clitic(word) else []
    for form in [word, *forms]:
        if len(form) >= POSSESSIVE_LENGTH:
            ending = next((e for e in POSSESSIVES if form.endswith(e)), None)
            if ending is not None and len(form) - len(ending) >= 3:
                forms.append(form[: -len(ending)] + "ه")
            elif form.endswith(PRONOUNS):
                forms.append(form[: -1 if form[-1] == "ي" else -2])
    return forms


@dataclass(frozen=True)
class Match:
    """A service found for a phrase, with how well it matched.

    The score is its terms' (0-100, more for extra words explained) plus its learned likeness
    to the service's example questions (about LEARNED points): the verdict's thresholds are on it.
    """

    slug: str
    title: str
    score: float
    elsewhere: bool = False  # the phrase names something no consulate does (ELSEWHERE, RESIDENCE)


@dataclass(frozen=True)
class Outcome:
    """The verdict on a phrase: one clear service, a close call among a few, or nothing."""

    kind: str  # "clear" | "close" | "none"
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class Entry:
    """What the index knows of one service in one language."""

    slug: str
    title: str
    terms: tuple[str, ...]  # raw titles, keywords, synonyms
    description: str = ""  # what the answer says of the service (summary, who may apply)
    examples: tuple[str, ...] = ()  # questions callers ask that it answers, told their way


class GuideIndex:
    """The normalised terms of one language's guide, ready to be searched."""

    def __init__(self, language: str, entries: Sequence[Entry], revision: str = "") -> None:
        """Normalise every term of `entries` once."""
        self.language = language
        self.revision = revision
        self.entries = list(entries)
        terms: list[str] = []
        owners: list[int] = []
        for index, entry in enumerate(self.entries):
            seen: set[str] = set()
            for raw in (entry.title, *entry.terms):
                term = normalise(raw, language)
                if term and term not in seen:
                    seen.add(term)
                    terms.append(term)
                    owners.append(index)
        self.terms = terms
        self.owners = np.array(owners, dtype=np.int64)
        # Every word of every term, with the services using it and how distinctive it is:
        # "stolen" (one service) tells more than "consulate" (many).
        users: dict[str, set[int]] = {}
        for term, owner in zip(terms, owners, strict=True):
            for word in term.split():
                users.setdefault(word, set()).add(owner)
        self.words = list(users)
        column = {word: i for i, word in enumerate(self.words)}
        # Each term's words as columns of that list, padded with -1 (no word).
        split = [[column[w] for w in term.split()] for term in terms]
        self.term_columns = np.full((len(terms), max(map(len, split), default=1)), -1)
        for row, columns in enumerate(split):
            self.term_columns[row, : len(columns)] = columns
        self.word_users = np.zeros((len(self.words), len(self.entries)), dtype=bool)
        for row, word in enumerate(self.words):
            self.word_users[row, list(users[word])] = True
        count = max(len(self.entries), 2)
        spread = self.word_users.sum(axis=1)
        self.word_weight = np.log(count / spread) / np.log(count)
        self.term_words = np.array([t.count(" ") + 1 for t in terms], dtype=np.int64)
        self.multi_word = np.flatnonzero(self.term_words > 1)
        lengths = np.array([len(t) for t in terms], dtype=np.int64)
        self.long_terms = np.flatnonzero((self.term_words == 1) & (lengths >= LONG_TERM))
        self.long_lengths = lengths[self.long_terms]
        # Every title first, then each service's first term, then its second, ...: however
        # few hints fit, every service is among them.
        hints: list[str] = []
        rounds = [[entry.title for entry in self.entries]]
        depth = max((len(entry.terms) for entry in self.entries), default=0)
        rounds += [[e.terms[i] for e in self.entries if i < len(e.terms)] for i in range(depth)]
        for raw in (raw for one_round in rounds for raw in one_round):
            if raw not in hints and len(raw) <= 100:
                hints.append(raw)
        self.hints = hints[:HINTS_MAX]
        # The words each service's own description uses: weaker evidence than its terms,
        # but they reach the ways of saying a need no editor listed ("abandoned child").
        described: dict[str, set[int]] = {}
        for index, entry in enumerate(self.entries):
            for word in set(tokens(entry.description, language)):
                if len(word) >= DESCRIBED_LENGTH:
                    described.setdefault(word, set()).add(index)
        self.described = list(described)
        self.described_users = np.zeros((len(self.described), len(self.entries)), dtype=bool)
        for row, word in enumerate(self.described):
            self.described_users[row, list(described[word])] = True
        self.described_weight = np.log(count / np.maximum(self.described_users.sum(axis=1), 1))
        self.described_weight /= np.log(count)
        # A service's titles and synonyms are short examples too: a service no editor gave
        # examples yet is still found by likeness, and scores on the same scale as the others.
        self.examples = ExampleIndex(
            language,
            [
                (i, text)
                for i, entry in enumerate(self.entries)
                for text in (*entry.examples, entry.title, *entry.terms)
            ],
            len(self.entries),
        )

    def search(self, phrase: str, limit: int = 3) -> list[Match]:
        """Return up to `limit` services for `phrase`, best first, scored as `Match` says."""
        words = tokens(phrase, self.language)[:30]
        if not words or not self.terms:
            return []
        totals = self.term_scores(words)
        likeness, learned = self.examples.similarities(phrase)
        totals += LIKENESS * np.maximum(likeness - LIKENESS_FLOOR, 0.0) + LEARNED * learned
        ranked = np.argsort(-totals, kind="stable")[:limit]
        elsewhere = not ELSEWHERE.get(self.language, frozenset()).isdisjoint(words) or (
            not RESIDENCE.get(self.language, frozenset()).isdisjoint(words)
            and MOROCCAN.get(self.language, frozenset()).isdisjoint(words)
        )
        return [
            Match(
                self.entries[i].slug,
                self.entries[i].title,
                round(float(totals[i]), 1),
                elsewhere,
            )
            for i in ranked
            if totals[i] > 0
        ]

    def term_scores(self, words: list[str]) -> np.ndarray:
        """Return, per service, how well its terms and description explain the phrase's `words`."""
        grams = [
            " ".join(words[i : i + n])
            for n in range(1, MAX_NGRAM + 1)
            for i in range(len(words) - n + 1)
        ]
        # best[t]: how well term t is said somewhere in the phrase.
        best = process.cdist(grams, self.terms, scorer=fuzz.ratio, dtype=np.uint8).max(axis=0)
        best = best.astype(np.float64)
        if len(self.long_terms):
            long_words = [w for w in words if len(w) > LONG_TERM]
            if long_words:
                inside = process.cdist(
                    long_words, [self.terms[i] for i in self.long_terms], scorer=fuzz.partial_ratio
                )
                lengths = np.array([len(w) for w in long_words])[:, None]
                inside = np.where(lengths > self.long_lengths[None, :], inside, 0).max(axis=0)
                best[self.long_terms] = np.maximum(best[self.long_terms], inside * 0.95)
        # Two words heard for one ("pass port") are also tried joined.
        joined = [a + b for a, b in zip(words, words[1:], strict=False)]
        # Darija writes "in", "to", "by", "and" onto the next word ("فبلجيكا", "لواليدي"): a long
        # word so begun is also tried without that letter.
        bare = {w: _arabic_forms(w) for w in words} if self.language == "ar" else {}
        distinct = list(dict.fromkeys([*words, *joined, *(f for fs in bare.values() for f in fs)]))
        ratios = process.cdist(distinct, self.words, scorer=fuzz.ratio, dtype=np.uint8)
        # A term of several words is also said in another order or with words between
        # ("my passport was stolen" says "stolen passport"): score it by its weakest word.
        if len(self.multi_word):
            heard = np.append(ratios.max(axis=0).astype(np.float64), np.nan)  # [-1]: no word
            said = heard[self.term_columns[self.multi_word]]
            mean = np.nanmean(said, axis=1)
            whole = np.nanmin(said, axis=1) >= WORD_MATCH
            terms = self.multi_word[whole]
            best[terms] = np.maximum(best[terms], mean[whole])
        # A term of several words said whole is stronger evidence than one word.
        weighted = np.where(
            best >= 85, best + WORD_BONUS * (np.minimum(self.term_words, 4) - 1), best
        )
        totals = np.zeros(len(self.entries))
        np.maximum.at(totals, self.owners, weighted)
        # Each service's best term (terms are stored service by service, best first here).
        order = np.lexsort((-weighted, self.owners))
        services, first = np.unique(self.owners[order], return_index=True)
        best_terms = np.full(len(self.entries), -1)
        best_terms[services] = order[first]
        totals += EXPLAINED * self._explained(ratios >= WORD_MATCH, best_terms)
        totals += DESCRIBED * self._described(words, ratios >= WORD_MATCH)
        # Words the guide never uses ("ferry", "parcel", "salary") say the caller asks about
        # something else: each takes points from every service alike, so the ranking stays
        # and only the confidence falls ("how much is a flight" is no question about fees).
        said = list(dict.fromkeys(words))  # the first rows of `ratios`
        closest = ratios.max(axis=1, initial=0)
        row = {word: i for i, word in enumerate(distinct)}
        known = [
            max([closest[row[w]], *(closest[row[f]] for f in bare.get(w, ()))]) >= HEARD
            for w in said
        ]
        unheard = sum(1 for w, k in zip(said, known, strict=True) if not k and len(w) > 2)
        totals -= UNHEARD * min(unheard, UNHEARD_MAX)
        return totals

    def _described(self, words: list[str], found: np.ndarray) -> np.ndarray:
        """Return, per service, how much of the phrase its description explains and its terms do not."""
        said = [w for w in dict.fromkeys(words) if len(w) >= DESCRIBED_LENGTH]
        if not said or not self.described:
            return np.zeros(len(self.entries))
        close = process.cdist(said, self.described, scorer=fuzz.ratio, dtype=np.uint8)
        weights = np.where(close >= DESCRIBED_MATCH, self.described_weight[None, :], 0.0)
        per_service = (weights[:, :, None] * self.described_users[None, :, :]).max(axis=1)
        # A word the service's terms already explain is counted there, not twice.
        rows = [i for i, w in enumerate(dict.fromkeys([*words])) if len(w) >= DESCRIBED_LENGTH]
        by_terms = (found[rows][:, :, None] * self.word_users[None, :, :]).any(axis=1)
        return np.where(by_terms, 0.0, per_service).sum(axis=0)

    def _explained(self, found: np.ndarray, best_terms: np.ndarray) -> np.ndarray:
        """Return, per service, how much of the phrase its words explain beyond its best term.

        Each distinct word of the phrase counts once per service, by the distinctiveness of
        the closest word that service uses: so of two services matching one term equally,
        the one that also explains the caller's other words ("stolen", "certificate") wins.
        """
        heard = np.flatnonzero(found.any(axis=0))  # the few words of the guide heard at all
        close = np.where(found[:, heard], self.word_weight[None, heard], 0.0)
        # per phrase word and service: the weight of the best such word that service uses
        per_service = (close[:, :, None] * self.word_users[None, heard, :]).max(axis=1, initial=0)
        # What each service's best term said is scored already.
        found = np.append(found, np.zeros((len(found), 1), dtype=bool), axis=1)  # [-1]: none
        columns = self.term_columns[best_terms]  # a service without terms: row -1, harmless
        said = found[:, columns].any(axis=2)
        return np.where(said, 0.0, per_service).sum(axis=0)


def verdict(matches: Sequence[Match], language: str = "") -> Outcome:
    """Judge a search in `language`: a clear best match, a close call (top three), or no match."""
    close_min = CLOSE_MIN_IN.get(language, CLOSE_MIN)
    if not matches or matches[0].score < close_min:
        return Outcome("none", ())
    top = matches[0]
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    ahead = top.score - runner_up
    if not top.elsewhere and (
        (top.score >= CLEAR_MIN and ahead >= CLEAR_MARGIN)
        or (top.score >= ALONE_MIN and ahead >= ALONE_MARGIN)
    ):
        return Outcome("clear", (top,))
    # A choice holds what comes within reach of the best: the learned score spreads further.
    return Outcome("close", tuple(m for m in matches[:3] if m.score >= close_min * 0.6))


# --- the per-worker cache ------------------------------------------------------------------

# Each worker keeps its indexes by language, and by content: building one costs about a second
# of CPU (the learned score), and the guide's revision moves with every change in any language.
# When it moves, a language whose published services read the same keeps its index, so an edit
# in French does not make the next Arabic caller on every worker wait for a rebuild. The version
# before stays too (about 8 MB a language and version), so a text put back as it was is not
# built again.
KEPT_VERSIONS = 2
_indexes: dict[str, GuideIndex] = {}
_versions: dict[str, dict[tuple[Entry, ...], GuideIndex]] = {}
_lock = threading.Lock()


def current_revision() -> str:
    """Return the token of the guide's current revision ("" before any content)."""
    return revisions.current(GUIDE_REVISION)


def published_entries(language: str) -> list[Entry]:
    """Return the published services in their published `language` translation."""
    rows = db.session.execute(
        sa.select(Service.slug, ServiceTranslation)
        .join(ServiceTranslation, ServiceTranslation.service_id == Service.id)
        .where(
            Service.published.is_(True),
            ServiceTranslation.language == language,
            ServiceTranslation.status == PUBLISHED,
        )
        .order_by(Service.position, Service.slug)
    )
    return [
        Entry(
            slug,
            t.title,
            tuple([*(t.keywords or []), *(t.synonyms or [])]),
            f"{t.summary} {t.eligibility or ''}",
            tuple(t.examples or []),
        )
        for slug, t in rows
    ]


def index_for(language: str) -> GuideIndex:
    """Return this worker's index of `language`, rebuilt if its published services changed."""
    revision = current_revision()
    index = _indexes.get(language)
    if index is None or index.revision != revision:
        with _lock:
            index = _indexes.get(language)
            if index is None or index.revision != revision:
                index = _index_of(language, tuple(published_entries(language)), revision)
                _indexes[language] = index
    return index


def _index_of(language: str, entries: tuple[Entry, ...], revision: str) -> GuideIndex:
    """Return the index of `entries`, built only if no recent version held the same."""
    versions = _versions.setdefault(language, {})
    kept = versions.pop(entries, None)
    index = GuideIndex(language, entries, revision) if kept is None else copy.copy(kept)
    index.revision = revision
    versions[entries] = index  # the most recent last
    while len(versions) > KEPT_VERSIONS:
        del versions[next(iter(versions))]
    return index


def search(phrase: str, language: str, limit: int = 3) -> list[Match]:
    """Return the published services best matching `phrase` in `language`, best first."""
    return index_for(language).search(phrase, limit)


def search_with(
    phrase: str,
    language: str,
    slug: str,
    term: str | None = None,
    example: str | None = None,
    limit: int = 3,
) -> list[Match]:
    """Return what `phrase` would find if service `slug` had one more synonym or example question."""
    entries = [
        replace(
            entry,
            terms=(*entry.terms, *([term] if term else [])),
            examples=(*entry.examples, *([example] if example else [])),
        )
        if entry.slug == slug
        else entry
        for entry in published_entries(language)
    ]
    return GuideIndex(language, entries).search(phrase, limit)


def hints(language: str) -> list[str]:
    """Return words to prime speech recognition with: the guide's titles and keywords."""
    return index_for(language).hints
