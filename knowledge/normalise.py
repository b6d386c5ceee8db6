"""Text as the matcher compares it: case, accents, Arabic spelling variants and filler removed."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# Arabic: short vowels and other marks, the tatweel, and letters written several ways.
ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
ARABIC_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "گ": "ك",
        "ݣ": "ك",  # the Moroccan g (lagar, "the station"), written three ways
        "ڭ": "ك",
        "ک": "ك",
        "ی": "ي",
        "ڤ": "ف",
        "پ": "ب",
        "٠": "0",
        "١": "1",
        "٢": "2",
        "٣": "3",
        "٤": "4",
        "٥": "5",
        "٦": "6",
        "٧": "7",
        "٨": "8",
        "٩": "9",
    }
)
ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال")
WORD = re.compile(r"\w+")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that carry no meaning for the search, by language (after normalisation).
STOPWORDS: dict[str, frozenset[str]] = {
    "fr": _word_set(
        "je j me m moi mon ma mes tu te ton ta tes il elle on nous vous leur un une des le la les l "
        "de du d au aux a et ou en dans pour par sur avec sans que qu qui quoi est suis ai as avoir "
        "etre faire fais fait dois doit veux voudrais voudrait aimerais souhaite besoin "
        "comment quel quelle quels quelles ce cet cette ces c s y il ya bonjour svp plait merci "
        "demander demande savoir obtenir avoir peux puis pouvez information informations "
        "renseignement renseignements concernant sil n euh ben bah"
    ),
    "es": _word_set(
        "yo me mi mis tu te el ella nos un una unos unas la las los lo de del al a y o en para por "
        "con sin que quien es soy estoy he ha tengo tiene tener hacer hago quiero quisiera querria "
        "necesito necesita puedo puede como cual donde se hola buenos dias favor gracias saber "
        "pedir obtener informacion sobre eh pues buenas"
    ),
    "it": _word_set(
        "io mi me mio mia miei tu ti il lo la i gli le l un uno una un di del della dei degli delle "
        "da dal al alla a e o in per con su che chi come cosa sono ho ha avere fare devo deve "
        "voglio vorrei vorrebbe bisogno posso puo buongiorno favore grazie sapere chiedere "
        "ottenere informazioni informazione si ci all dell nell sull dall nel nella nei nelle sul "
        "sulla dalla dai ai agli alle allo dello c ehm eh allora"
    ),
    "nl": _word_set(
        "ik mij me mijn je jij u uw hij zij we wij een de het van voor in op met aan te en of dat "
        "die wat hoe is ben heb heeft hebben moet moeten wil wilde zou graag nodig kan kunnen "
        "hallo goedendag alstublieft dank bedankt weten vragen aanvragen krijgen informatie "
        "over er om eh uh euh"
    ),
    "de": _word_set(
        "ich mir mich mein meine meinen meiner du dir er sie es wir ihr ein eine einen einem einer "
        "der die das den dem des von vom zu zum zur fur in im an am auf mit und oder dass was wie "
        "wo ist bin habe hat haben muss mussen will mochte wurde gern gerne brauche brauchen kann "
        "konnen hallo guten tag bitte danke wissen fragen beantragen bekommen information "
        "informationen uber ah ahm ehm"
    ),
    "en": _word_set(
        "i me my mine you your he she it we they a an the of to in on for with and or that this "
        "what how where is am are was be have has had do does did need needs want wanted would "
        "like please can could get getting some about hello hi thanks thank know ask apply "
        "information info there s m uh um er erm yeah im ive dont"
    ),
    "ar": _word_set(
        "انا اريد اود بغيت ابغي عندي لدي من في على عن الى مع هل كيف ماذا ما اين هو هي نحن "
        "ان او و ي ك لي لك عليكم السلام مرحبا شكرا من فضلك لو سمحت بخصوص حول معلومات احتاج "
        "نحتاج ممكن يمكن بدي واش كيفاش فين "
        # MSA's "the procedures", "the way to": said around any request, as "démarches" is.
        "اجراءات الاجراءات كيفيه "
        # The European countries callers live in: every service is asked for from one of them,
        # so their names say nothing of which, and the guide's terms rarely name them.
        "فرنسا بلجيكا اسبانيا ايطاليا هولندا المانيا سويسرا انجلترا بريطانيا البرتغال السويد "
        "النمسا الدنمارك النرويج ايرلندا لوكسمبورغ"
    ),
}


# Callers name the town at home rather than the country ("bury him in Nador", "born in
# Khouribga"): the guide says "in Morocco", so a Moroccan town is followed by the country's name.
MOROCCO = {
    "ar": "مغرب",
    "fr": "maroc",
    "es": "marruecos",
    "it": "marocco",
    "nl": "marokko",
    "de": "marokko",
    "en": "morocco",
}
TOWNS = _word_set(
    "tanger tangier tangeri tanja casablanca rabat fes fez marrakech marrakesh "
    "marrakesch oujda nador agadir tetouan tetuan meknes kenitra "
    "khouribga safi mohammedia larache berkane settat errachidia ouarzazate essaouira "
    "tiznit guelmim laayoune dakhla chefchaouen taourirt driouch imzouren "
    "طنجه رباط فاس مراكش وجده ناظور اكادير تطوان مكناس قنيطره خريبكه اسفي "
    "محمديه عرايش بركان سطات رشيديه ورزازات صويره تزنيت كلميم داخله شفشاون حسيمه"
)
TOWN_PAIRS = {
    ("beni", "mellal"),
    ("bni", "mellal"),
    ("al", "hoceima"),
    ("el", "jadida"),
    ("casa", "blanca"),
    ("بني", "ملال"),
    ("دار", "بيضاء"),
    ("دار", "بيضا"),
}
ARABIC_IN = ("ف", "ل", "ب", "و")  # Darija writes "in", "to", "by", "and" onto the town's name
ARABIC_COUNTRIES = _word_set(
    "فرنسا بلجيكا اسبانيا ايطاليا هولندا مانيا سويسرا انجلترا بريطانيا برتغال سويد نمسا دنمارك "
    "نرويج ايرلندا لوكسمبورغ"
)


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _arabic_word(word: str) -> str:
    for prefix in ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix) :]
    return word


@cache
def _stopwords(language: str) -> frozenset[str]:
    words = {" ".join(_words(w, language, False)) for w in STOPWORDS.get(language, ())}
    if language == "ar":
        # "and" is written onto the next word ("وبغيت", "and I want"); only onto longer words
        # and never onto "to ...", so "ولدي" (my son) and "وليها" (her guardian) stay words.
        words |= {"و" + w for w in words if len(w) >= 4 and not w.startswith("ل")}
        # ... and "in", "to", "by" onto a country's name ("فبلجيكا", "لاسبانيا").
        words |= {c + w for w in words & ARABIC_COUNTRIES for c in ARABIC_IN}
    return frozenset(words)


def _words(text: str, language: str, drop_filler: bool = True) -> list[str]:
    text = ARABIC_MARKS.sub("", text).translate(ARABIC_LETTERS)
    text = _strip_marks(text.casefold()).replace("ß", "ss")
    words = WORD.findall(text.replace("_", " "))
    if language == "ar":
        words = [_arabic_word(w) for w in words]
    if drop_filler:
        words = _spelled_out(_towns(words, language))
        stop = _stopwords(language)
        kept = [w for w in words if w not in stop]
        return kept or words
    return words


def _is_town(word: str, language: str) -> bool:
    if word in TOWNS:
        return True
    return language == "ar" and word[:1] in ARABIC_IN and _arabic_word(word[1:]) in TOWNS


def _towns(words: list[str], language: str) -> list[str]:
    """Return `words` with the name of the country after each Moroccan town."""
    country = MOROCCO.get(language)
    if country is None:
        return words
    read: list[str] = []
    for word in words:
        read.append(word)
        # The town stays: a word the guide never uses still tells a question about a flight
        # to Casablanca from one about papers.
        if (len(read) > 1 and (read[-2], word) in TOWN_PAIRS) or _is_town(word, language):
            read.append(country)
    return read


def _spelled_out(words: list[str]) -> list[str]:
    """Return `words` with a run of three or more single letters joined ("c n i e": "cnie")."""
    read: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        read.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if word:
            read.append(word)
    return read


def normalise(text: str, language: str) -> str:
    """Return `text` lower-cased, without accents, marks, punctuation or filler words."""
    return " ".join(_words(text, language))


def tokens(text: str, language: str) -> list[str]:
    """Return the meaningful words of `text`, normalised."""
    return _words(text, language)
