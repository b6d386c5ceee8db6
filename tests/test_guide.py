"""The guide's content and search: seed in seven languages, normalisation, accuracy, versions."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from centre import languages
from centre.extensions import db
from knowledge import search, services
from knowledge.editing.base import LIMITS, Author
from knowledge.editing.facts import publish_facts, save_facts
from knowledge.models import ARCHIVED, DRAFT, PUBLISHED, STALE, Service, UnmatchedPhrase
from knowledge.normalise import normalise, tokens
from knowledge.seed import SeedError, read_seed

CODES = languages.CODES
DATA = Path(__file__).parent / "data"
# The phrasings the matcher and the seed were tuned on (some are seed terms word for word) ...
PHRASES = json.loads((DATA / "guide_phrases.json").read_text(encoding="utf-8"))
# ... caller phrasings written later to tune on, none of them a seed term ...
DEV = json.loads((DATA / "guide_phrases_dev.json").read_text(encoding="utf-8"))
# ... a second set written to tune the larger guide on, once the fresh set below had been seen ...
DEV2 = json.loads((DATA / "guide_phrases_dev2.json").read_text(encoding="utf-8"))
# ... a third, for the weakest languages (Arabic with Darija, German, Spanish: one phrasing per
# service; eight in each other language), written on 6 December without reading a held-out set ...
DEV3 = json.loads((DATA / "guide_phrases_dev3.json").read_text(encoding="utf-8"))
# ... a fifth, written on 7 December before the matcher was studied, Arabic first (three a service,
# two in Darija, one in MSA) with one a service in Dutch, English and French ...
DEV5 = json.loads((DATA / "guide_phrases_dev5.json").read_text(encoding="utf-8"))
# ... a sixth, written on 7 December before the matcher was studied again, four a service in Arabic
# (two in Darija, two in MSA), French and English, three in Dutch, German, Italian and Spanish ...
DEV6 = json.loads((DATA / "guide_phrases_dev6.json").read_text(encoding="utf-8"))
# ... a seventh, written on 7 December before its answers were seen, three a service in every
# language (Arabic half Darija, half MSA; the others situations that mix two services') ...
DEV7 = json.loads((DATA / "guide_phrases_dev7.json").read_text(encoding="utf-8"))
# ... an eighth, written on 7 December before its answers were seen, three a service in every
# language (Arabic half Darija, half MSA; the others callers' situations in everyday words) ...
DEV8 = json.loads((DATA / "guide_phrases_dev8.json").read_text(encoding="utf-8"))
# ... a ninth, written on 8 December before its answers were seen, three a service in every
# language (Arabic half Darija, half MSA; the others callers' situations in everyday words) ...
DEV9 = json.loads((DATA / "guide_phrases_dev9.json").read_text(encoding="utf-8"))
# ... and caller phrasings kept apart: never tuned on, none of them a seed term.
HELD_OUT = json.loads((DATA / "guide_phrases_held_out.json").read_text(encoding="utf-8"))
# ... and a fresh held-out set, written when the guide grew to the ministry's catalogue.
FRESH = json.loads((DATA / "guide_phrases_fresh.json").read_text(encoding="utf-8"))
# ... and a final held-out set, written once the tuning on the second development set was done.
FINAL = json.loads((DATA / "guide_phrases_final.json").read_text(encoding="utf-8"))
# ... and a closing one, written after the last tuning round (measured after the final set).
CLOSING = json.loads((DATA / "guide_phrases_closing.json").read_text(encoding="utf-8"))
# ... and a blind one, written on 6 December from the services' descriptions by someone who
# never saw the matcher's work or the other sets, while the example questions were written.
BLIND = json.loads((DATA / "guide_phrases_blind.json").read_text(encoding="utf-8"))
# ... and a second blind one, from the services' titles only, sealed while the seed grew again.
BLIND2 = json.loads((DATA / "guide_phrases_blind2.json").read_text(encoding="utf-8"))
# ... and a third, callers' situations as speech recognition writes them, sealed on 7 December
# while the matcher changed, measured once before and once after.
BLIND3 = json.loads((DATA / "guide_phrases_blind3.json").read_text(encoding="utf-8"))
# ... and a fourth, written the same way on 7 December, sealed while that morning's matcher and
# sources work was done, measured once before and once after.
BLIND4 = json.loads((DATA / "guide_phrases_blind4.json").read_text(encoding="utf-8"))
# ... and a fifth, written on 7 December for the 44-service guide before its last six services
# existed, sealed while the matcher and the seed changed, measured after that work only.
BLIND5 = json.loads((DATA / "guide_phrases_blind5.json").read_text(encoding="utf-8"))
BLIND6 = json.loads((DATA / "guide_phrases_blind6.json").read_text(encoding="utf-8"))
# ... and a seventh, written blind the same way on 8 December, sealed for the lead to measure.
BLIND7 = json.loads((DATA / "guide_phrases_blind7.json").read_text(encoding="utf-8"))
# Everyday questions the guide does not answer: one set to tune on, one kept apart.
OUTSIDE_DEV = json.loads((DATA / "guide_out_of_scope_dev.json").read_text(encoding="utf-8"))
OUTSIDE_DEV3 = json.loads((DATA / "guide_out_of_scope_dev3.json").read_text(encoding="utf-8"))
OUTSIDE_DEV5 = json.loads((DATA / "guide_out_of_scope_dev5.json").read_text(encoding="utf-8"))
OUTSIDE_DEV6 = json.loads((DATA / "guide_out_of_scope_dev6.json").read_text(encoding="utf-8"))
OUTSIDE_DEV7 = json.loads((DATA / "guide_out_of_scope_dev7.json").read_text(encoding="utf-8"))
OUTSIDE_DEV8 = json.loads((DATA / "guide_out_of_scope_dev8.json").read_text(encoding="utf-8"))
OUTSIDE_DEV9 = json.loads((DATA / "guide_out_of_scope_dev9.json").read_text(encoding="utf-8"))
OUTSIDE = json.loads((DATA / "guide_out_of_scope_held_out.json").read_text(encoding="utf-8"))
OUTSIDE_BLIND = json.loads((DATA / "guide_out_of_scope_blind.json").read_text(encoding="utf-8"))
OUTSIDE_BLIND2 = json.loads((DATA / "guide_out_of_scope_blind2.json").read_text(encoding="utf-8"))
OUTSIDE_BLIND3 = json.loads((DATA / "guide_out_of_scope_blind3.json").read_text(encoding="utf-8"))
OUTSIDE_BLIND4 = json.loads((DATA / "guide_out_of_scope_blind4.json").read_text(encoding="utf-8"))
OUTSIDE_BLIND5 = json.loads((DATA / "guide_out_of_scope_blind5.json").read_text(encoding="utf-8"))
OUTSIDE_BLIND6 = json.loads((DATA / "guide_out_of_scope_blind6.json").read_text(encoding="utf-8"))
OUTSIDE_BLIND7 = json.loads((DATA / "guide_out_of_scope_blind7.json").read_text(encoding="utf-8"))
# Every slug of the shared facts file (../shared/consular-guide-facts.md).
FACT_SLUGS = [
    "consular-registration",
    "registration-certificate",
    "passport",
    "passport-collection",
    "national-id-card",
    "criminal-record",
    "birth-registration",
    "death-registration",
    "marriage",
    "family-booklet",
    "civil-status-certificates",
    "legalisation",
    "power-of-attorney",
    "repatriation-of-remains",
    "driving-licence",
    "court-documents",
    "emergency-travel-document",
    "visa",
    "entry-and-stay",
    "appointments",
    "fees-and-payment",
    "complaints-and-suggestions",
    "call-centre",
]
# The services the ministry's catalogue adds to them (issue 18), checked on 5 December 2026.
NEW_SLUGS = [
    "online-registration",
    "nationality-certificate",
    "civil-status-correction",
    "kafala",
    "marriage-registration",
    "divorce",
    "celibacy-certificate",
    "marriage-capacity-certificate",
    "certified-copies",
    "heritage-deed",
    "change-of-residence",
    "vehicle-temporary-admission",
    "nationals-in-distress",
    "life-certificate",
    "military-service",
]
# The rest of the catalogue, added on 7 December 2026 (no phrase set above was written for them).
CATALOGUE_SLUGS = [
    "diplomatic-visa",
    "accreditation-visa",
    "foreigner-funeral-urn",
    "estate-settlement",
    "maritime-acts",
    "repatriation-assistance",
]
# Words that read a doubt to the caller, where an unconfirmed fact should simply be left out.
HEDGES = {
    "en": ("unverified", "not confirmed", "not published"),
    "fr": ("pas vérifi", "non vérifi", "non publié", "non confirmé"),
    "es": ("no está verificad", "no están verificad", "no publicad"),
    "it": ("non è verificat", "non sono verificat", "non pubblicat"),
    "nl": ("niet geverifieerd", "niet gepubliceerd"),
    "de": ("nicht bestätigt", "nicht veröffentlicht"),
    "ar": ("غير مؤكد", "غير منشور"),
}
# How each language begins the one sentence saying what to ask the consulate.
ASK = {
    "en": "Ask your consulate",
    "fr": "Demandez à votre consulat",
    "es": "Pregunte a su consulado",
    "it": "Chieda al suo consolato",
    "nl": "Vraag uw consulaat",
    "de": "Fragen Sie Ihr Konsulat",
    "ar": "اسألوا قنصليتكم",
}


def test_setup_loads_every_slug_of_the_facts_in_all_seven_languages_once(app, runner):
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        for slug in FACT_SLUGS + NEW_SLUGS + CATALOGUE_SLUGS:
            for code in CODES:
                entry = services.published(slug, code)
                assert entry is not None, (slug, code)
                assert entry.text.title and entry.text.summary and entry.text.keywords
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Service))
    again = runner.invoke(args=["setup"])
    assert again.exit_code == 0 and "0 content rows added" in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Service)) == count


def test_setup_gives_untouched_seed_texts_the_seeds_new_words_and_leaves_edited_ones(app, runner):
    assert runner.invoke(args=["setup"]).exit_code == 0
    with app.app_context():  # as if set up with an older seed, then one text edited
        seed_text = services.published("emergency-travel-document", "en").text
        seed_words = list(seed_text.synonyms)
        seed_text.synonyms = seed_words[:2]
        visa = db.session.scalar(sa.select(Service).where(Service.slug == "visa"))
        draft = services.draft(visa, "fr", {"synonyms": ["visa vacances"]}, author="editor")
        services.publish(draft, reviewer="editor")
        db.session.commit()
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0 and "1 content rows added or updated" in result.output
    with app.app_context():
        assert services.published("emergency-travel-document", "en").text.synonyms == seed_words
        assert services.published("visa", "fr").text.synonyms == ["visa vacances"]
        assert search.search("my passport was stolen, I fly tomorrow", "en")[0].slug == (
            "emergency-travel-document"
        )


def test_setup_gives_services_no_editor_versioned_the_seeds_new_source(app, runner):
    assert runner.invoke(args=["setup"]).exit_code == 0
    facts, _ = read_seed()
    seeded = {data["slug"]: data for data in facts["services"]}
    with app.app_context():  # as if set up with an older seed, then one service's facts edited
        for slug in ("repatriation-of-remains", "visa"):
            service = db.session.scalar(sa.select(Service).where(Service.slug == slug))
            service.source_url = "https://example.org/an-older-source"
            service.source_checked_on = date(2026, 11, 27)
            service.verified = False
        visa = db.session.scalar(sa.select(Service).where(Service.slug == "visa"))
        save_facts(visa, {"delay_days": 9}, Author(email="editor@example.org"))
        publish_facts(visa, Author(email="editor@example.org"))
        db.session.commit()
    assert runner.invoke(args=["setup"]).exit_code == 0
    with app.app_context():
        remains = db.session.scalar(
            sa.select(Service).where(Service.slug == "repatriation-of-remains")
        )
        expected = seeded["repatriation-of-remains"]
        assert remains.source_url == expected["source_url"]
        assert remains.source_checked_on == date.fromisoformat(expected["source_checked_on"])
        assert remains.verified is expected["verified"]
        visa = db.session.scalar(sa.select(Service).where(Service.slug == "visa"))
        assert visa.source_url == "https://example.org/an-older-source"  # the editors' now
        assert visa.verified is False


def test_no_answer_reads_a_doubt_and_each_says_at_most_once_what_to_ask(app, guide):
    with app.test_request_context():
        unverified = db.session.scalars(sa.select(Service).where(Service.verified.is_(False)))
        assert {"kafala", "court-documents", "heritage-deed"} <= {s.slug for s in unverified}
        for slug in services.service_slugs():
            for code in CODES:
                with force_locale(code):
                    entry = services.published(slug, code)
                    spoken = " ".join(services.spoken_parts(entry))
                    message = services.sms_text(entry)
                for said in (spoken, message):
                    assert not [h for h in HEDGES[code] if h in said.lower()], (slug, code, said)
                    assert said.count(ASK[code]) <= 1, (slug, code, said)
                if not entry.service.fees and slug not in NOTHING_TO_ASK:
                    assert spoken.count(ASK[code]) == 1, (slug, code)


# Services done online, at the border, before a court or not procedures at all: no fee or
# delay to ask the consulate about.
NOTHING_TO_ASK = {
    "online-registration",
    "kafala",
    "divorce",
    "vehicle-temporary-admission",
    "nationals-in-distress",
    "military-service",
    "repatriation-of-remains",
    "court-documents",
    "entry-and-stay",
    "appointments",
    "fees-and-payment",
    "complaints-and-suggestions",
    "call-centre",
}


def test_every_service_names_its_source_page_and_the_day_it_was_checked(app, guide):
    facts, _ = read_seed()
    with app.app_context():
        for data in facts["services"]:
            service = services.published(data["slug"], "en").service
            assert service.source_url.startswith(("https://", "http://")), data["slug"]
            if data["slug"] in NEW_SLUGS:  # checked when added, some again on 7 or 8 December
                assert service.source_checked_on in (
                    date(2026, 12, 5),
                    date(2026, 12, 7),
                    date(2026, 12, 8),
                )
            if data["slug"] in CATALOGUE_SLUGS:
                assert service.source_checked_on == date(2026, 12, 7)


# Rewritten on 8 December from consulat.ma's own pages (they cited a law firm and a news site).
FROM_CONSULAT_MA = ("divorce", "marriage-registration", "nationality-certificate")
# How each language names the procedure that makes a foreign divorce count in Morocco.
EXEQUATUR = {"es": "exequátur", "ar": "تذييل الحكم"}


def test_answers_read_from_consulat_ma_text_its_page_and_say_where_a_divorce_is_recognised(
    app, guide
):
    with app.test_request_context():
        for slug in FROM_CONSULAT_MA:
            for code in CODES:
                entry = services.published(slug, code)
                with force_locale(code):
                    link = services.sms_text(entry).splitlines()[-1].split()[-1]
                assert link.split("/")[2] in ("consulat.ma", "www.consulat.ma"), (slug, code)
                assert entry.service.verified, slug
        for code in CODES:
            with force_locale(code):
                spoken = " ".join(services.spoken_parts(services.published("divorce", code)))
            assert EXEQUATUR.get(code, "exequatur") in spoken.lower(), code
            rabat = "الرباط" if code == "ar" else "Rabat"  # the Ministry of Justice's seat
            assert spoken.count(rabat) == 1, code


def test_topics_stay_short_enough_to_browse_on_the_keypad():
    facts, _ = read_seed()
    assert len(facts["categories"]) <= 8  # keys 1-8; 0 is an agent, 9 the main menu
    for category in facts["categories"]:
        inside = [s for s in facts["services"] if s["category"] == category["slug"]]
        assert 1 <= len(inside) <= 8, category["slug"]


def test_no_fee_or_delay_is_invented(app, guide):
    with app.app_context():
        for service in db.session.scalars(sa.select(Service)):
            assert service.delay_days is None
            for code in CODES:
                text = services.published(service.slug, code).text
                assert not re.search(r"\d", text.delay_text), (service.slug, code)
                if not service.fees and service.slug != "fees-and-payment":
                    assert not re.search(r"\d", text.fee_text), (service.slug, code)
        passport = services.published("passport", "en").service
        assert {f.kind: f.amount_dh for f in passport.fees} == {
            "adult": 860,
            "minor": 60,
            "after-loss": 1080,
        }
        assert all(f.checked_on is not None for f in passport.fees)


def test_a_seed_missing_a_language_is_refused(tmp_path):
    from knowledge.seed import SEED

    for path in SEED.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    data = json.loads((tmp_path / "nl.json").read_text(encoding="utf-8"))
    del data["services"]["visa"]
    (tmp_path / "nl.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SeedError, match="nl.json lacks visa"):
        read_seed(tmp_path)


@pytest.mark.parametrize(
    ("one", "other", "code"),
    [
        ("Carte d'IDENTITÉ!", "carte d identite", "fr"),
        ("Führerschein", "fuhrerschein", "de"),
        ("البِطاقة الوطنيّة", "البطاقه الوطنيه", "ar"),
        ("إستمارة", "استماره", "ar"),
        ("مستشفى", "مستشفي", "ar"),
        ("جـــواز السفر", "جواز السفر", "ar"),
        ("el pasaporte, por favor", "pasaporte", "es"),
    ],
)
def test_normalisation_folds_case_accents_arabic_variants_and_filler(one, other, code):
    assert normalise(one, code) == normalise(other, code)


# The tuning phrases name the service ("I need to renew my passport"); the example questions
# tell situations, and pull a few of these toward the situation they describe ("a new pass port
# for my baby" toward the birth): 98% in all, at most two of about 25 missed per language.
@pytest.mark.parametrize("code", CODES)
def test_top_one_accuracy_on_the_tuning_phrases_is_at_least_ninety_two_percent(app, guide, code):
    phrases = PHRASES[code]
    assert len(phrases) >= 20
    with app.app_context():
        hits = [search.search(phrase, code)[:1] for phrase, _ in phrases]
    right = sum(
        bool(top) and top[0].slug == slug for top, (_, slug) in zip(hits, phrases, strict=True)
    )
    assert right / len(phrases) >= 0.92, [
        (p, t[0].slug if t else None)
        for t, (p, s) in zip(hits, phrases, strict=True)
        if not t or t[0].slug != s
    ]


def seed_terms_of(texts: dict[str, Any], code: str) -> set[str]:
    """Return the seed's titles, keywords and synonyms in `code`, as the search reads them."""
    return {
        normalise(term, code)
        for text in texts[code].values()
        for term in (text["title"], *text["keywords"], *text.get("synonyms", []))
    }


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize(
    ("kept_apart", "others"),
    [
        (HELD_OUT, [PHRASES]),
        (DEV, [PHRASES, HELD_OUT]),
        (FRESH, [PHRASES, DEV, HELD_OUT]),
        (DEV2, [PHRASES, DEV, HELD_OUT, FRESH]),
        (FINAL, [PHRASES, DEV, HELD_OUT, FRESH, DEV2]),
        (CLOSING, [PHRASES, DEV, HELD_OUT, FRESH, DEV2, FINAL]),
        (BLIND, [PHRASES, DEV, HELD_OUT, FRESH, DEV2, FINAL, CLOSING]),
        (BLIND2, [PHRASES, DEV, HELD_OUT, FRESH, DEV2, FINAL, CLOSING, BLIND, DEV3]),
        (BLIND3, [PHRASES, DEV, HELD_OUT, FRESH, DEV2, FINAL, CLOSING, BLIND, DEV3, BLIND2]),
        (
            BLIND4,
            [PHRASES, DEV, HELD_OUT, FRESH, DEV2, FINAL, CLOSING, BLIND, DEV3, BLIND2, BLIND3],
        ),
        (
            BLIND5,
            [
                *(PHRASES, DEV, HELD_OUT, FRESH, DEV2, FINAL, CLOSING, BLIND, DEV3, BLIND2),
                *(BLIND3, BLIND4, DEV5),
            ],
        ),
        (
            BLIND6,
            [
                *(PHRASES, DEV, HELD_OUT, FRESH, DEV2, FINAL, CLOSING, BLIND, DEV3, BLIND2),
                *(BLIND3, BLIND4, DEV5, BLIND5, DEV6, DEV7),
            ],
        ),
        (
            BLIND7,
            [
                *(PHRASES, DEV, HELD_OUT, FRESH, DEV2, FINAL, CLOSING, BLIND, DEV3, BLIND2),
                *(BLIND3, BLIND4, DEV5, BLIND5, DEV6, BLIND6, DEV7, DEV8),
            ],
        ),
    ],
)
def test_no_held_out_or_development_phrase_is_a_seed_term_or_another_sets(code, kept_apart, others):
    facts, texts = read_seed()
    slugs = {service["slug"] for service in facts["services"]}
    seed_terms = seed_terms_of(texts, code)
    elsewhere = {
        normalise(phrase, code) for phrases in others for phrase, _ in phrases.get(code, [])
    }
    phrases = kept_apart[code]
    assert len(phrases) >= 25 and {slug for _, slug in phrases} <= slugs
    asked = {slug for _, slug in phrases}
    if any(
        kept_apart is s
        for s in (
            FRESH,
            DEV2,
            FINAL,
            CLOSING,
            BLIND,
            BLIND2,
            BLIND3,
            BLIND4,
            BLIND5,
            BLIND6,
            BLIND7,
        )
    ):  # the new services too
        assert set(NEW_SLUGS) <= asked and len(asked) >= 25
    else:  # (nearly) every service of the guide it was written for
        assert len(set(FACT_SLUGS) - asked) <= 1
    if any(kept_apart is s for s in (BLIND5, BLIND6, BLIND7)):  # the whole guide, twice each
        assert asked == slugs and len(phrases) == 2 * len(slugs)
        assert set(Counter(slug for _, slug in phrases).values()) == {2}
        assert len({normalise(p, code) for p, _ in phrases}) == len(phrases)
    assert [p for p, _ in phrases if normalise(p, code) in seed_terms] == []
    assert [p for p, _ in phrases if normalise(p, code) in elsewhere] == []


@pytest.mark.parametrize("code", CODES)
def test_the_third_development_sets_repeat_no_seed_term_and_no_other_sets_phrase(code):
    _, texts = read_seed()
    seed_terms = seed_terms_of(texts, code)
    sets = (PHRASES, DEV, HELD_OUT, FRESH, DEV2, FINAL, CLOSING, BLIND)
    elsewhere = {normalise(phrase, code) for phrases in sets for phrase, _ in phrases[code]}
    phrases = DEV3[code]
    assert len(phrases) >= (38 if code in ("ar", "de", "es") else 8)
    assert [p for p, _ in phrases if normalise(p, code) in seed_terms | elsewhere] == []
    outside = {
        normalise(q, code) for q in (*OUTSIDE_DEV[code], *OUTSIDE[code], *OUTSIDE_BLIND[code])
    }
    asked = OUTSIDE_DEV3[code]
    assert len(asked) >= (20 if code == "es" else 4) and len(set(asked)) == len(asked)
    assert [q for q in asked if normalise(q, code) in seed_terms | outside] == []


@pytest.mark.parametrize("code", CODES)
def test_the_fifth_development_sets_repeat_no_seed_term_and_no_other_sets_phrase(code):
    _, texts = read_seed()
    seed_terms = seed_terms_of(texts, code)
    sets = (
        PHRASES,
        DEV,
        HELD_OUT,
        FRESH,
        DEV2,
        FINAL,
        CLOSING,
        BLIND,
        DEV3,
        BLIND2,
        BLIND3,
        BLIND4,
    )
    elsewhere = {normalise(phrase, code) for phrases in sets for phrase, _ in phrases[code]}
    phrases = DEV5[code]
    assert len(phrases) == {"ar": 114, "nl": 38, "en": 38, "fr": 38}.get(code, 0)
    assert [p for p, _ in phrases if normalise(p, code) in seed_terms | elsewhere] == []
    if phrases:  # every service of the guide, three times in Arabic
        assert {slug for _, slug in phrases} == set(FACT_SLUGS + NEW_SLUGS)
    outside = {
        normalise(q, code)
        for asked in (OUTSIDE_DEV, OUTSIDE, OUTSIDE_BLIND, OUTSIDE_DEV3, OUTSIDE_BLIND2)
        for q in asked[code]
    }
    outside |= {normalise(q, code) for q in (*OUTSIDE_BLIND3[code], *OUTSIDE_BLIND4[code])}
    asked = OUTSIDE_DEV5[code]
    assert len(asked) == 20 and len(set(asked)) == len(asked)
    assert [q for q in asked if normalise(q, code) in seed_terms | outside] == []


@pytest.mark.parametrize("code", CODES)
def test_the_sixth_development_sets_repeat_no_seed_term_and_no_other_sets_phrase(code):
    facts, texts = read_seed()
    seed_terms = seed_terms_of(texts, code)
    sets = (
        *(PHRASES, DEV, HELD_OUT, FRESH, DEV2, FINAL, CLOSING, BLIND, DEV3, BLIND2, BLIND3),
        *(BLIND4, DEV5, BLIND5),
    )
    elsewhere = {normalise(phrase, code) for phrases in sets for phrase, _ in phrases[code]}
    phrases = DEV6[code]
    written = [normalise(p, code) for p, _ in phrases]
    assert len(set(written)) == len(written)
    assert [p for p, _ in phrases if normalise(p, code) in seed_terms | elsewhere] == []
    counts = Counter(slug for _, slug in phrases)  # every service, four or three times each
    assert set(counts) == {service["slug"] for service in facts["services"]}
    assert set(counts.values()) == {4 if code in ("ar", "fr", "en") else 3}
    outside = {
        normalise(q, code)
        for asked in (OUTSIDE_DEV, OUTSIDE, OUTSIDE_BLIND, OUTSIDE_DEV3, OUTSIDE_BLIND2)
        for q in asked[code]
    }
    outside |= {
        normalise(q, code)
        for asked in (OUTSIDE_BLIND3, OUTSIDE_BLIND4, OUTSIDE_DEV5, OUTSIDE_BLIND5)
        for q in asked[code]
    }
    asked = OUTSIDE_DEV6[code]
    assert len(set(asked)) == len(asked)
    assert len(asked) == (25 if code == "ar" else 15)
    assert [q for q in asked if normalise(q, code) in seed_terms | outside] == []


# The sets written three a service in every language, each with what was written before it.
THREE_A_SERVICE = {
    "seventh": (
        DEV7,
        OUTSIDE_DEV7,
        (
            *(PHRASES, DEV, HELD_OUT, FRESH, DEV2, FINAL, CLOSING, BLIND, DEV3, BLIND2, BLIND3),
            *(BLIND4, DEV5, BLIND5, DEV6),
        ),
        (
            *(OUTSIDE_DEV, OUTSIDE, OUTSIDE_BLIND, OUTSIDE_DEV3, OUTSIDE_BLIND2),
            *(OUTSIDE_BLIND3, OUTSIDE_BLIND4, OUTSIDE_DEV5, OUTSIDE_BLIND5, OUTSIDE_DEV6),
        ),
    ),
    "eighth": (
        DEV8,
        OUTSIDE_DEV8,
        (
            *(PHRASES, DEV, HELD_OUT, FRESH, DEV2, FINAL, CLOSING, BLIND, DEV3, BLIND2, BLIND3),
            *(BLIND4, DEV5, BLIND5, DEV6, BLIND6, DEV7),
        ),
        (
            *(OUTSIDE_DEV, OUTSIDE, OUTSIDE_BLIND, OUTSIDE_DEV3, OUTSIDE_BLIND2),
            *(OUTSIDE_BLIND3, OUTSIDE_BLIND4, OUTSIDE_DEV5, OUTSIDE_BLIND5, OUTSIDE_DEV6),
            *(OUTSIDE_BLIND6, OUTSIDE_DEV7),
        ),
    ),
    "ninth": (
        DEV9,
        OUTSIDE_DEV9,
        (
            *(PHRASES, DEV, HELD_OUT, FRESH, DEV2, FINAL, CLOSING, BLIND, DEV3, BLIND2, BLIND3),
            *(BLIND4, DEV5, BLIND5, DEV6, BLIND6, DEV7, DEV8),
            BLIND7,  # written at the same time, sealed: no phrase of it may be tuned on
        ),
        (
            *(OUTSIDE_DEV, OUTSIDE, OUTSIDE_BLIND, OUTSIDE_DEV3, OUTSIDE_BLIND2),
            *(OUTSIDE_BLIND3, OUTSIDE_BLIND4, OUTSIDE_DEV5, OUTSIDE_BLIND5, OUTSIDE_DEV6),
            *(OUTSIDE_BLIND6, OUTSIDE_DEV7, OUTSIDE_DEV8, OUTSIDE_BLIND7),
        ),
    ),
}


@pytest.mark.parametrize(("name", "code"), [(n, c) for n in THREE_A_SERVICE for c in CODES])
def test_the_later_development_sets_repeat_no_seed_term_and_no_other_sets_phrase(name, code):
    phrase_set, outside_set, sets, outside_sets = THREE_A_SERVICE[name]
    facts, texts = read_seed()
    seed_terms = seed_terms_of(texts, code)
    elsewhere = {normalise(phrase, code) for phrases in sets for phrase, _ in phrases.get(code, [])}
    phrases = phrase_set[code]
    written = [normalise(p, code) for p, _ in phrases]
    assert len(set(written)) == len(written)
    assert [p for p, _ in phrases if normalise(p, code) in seed_terms | elsewhere] == []
    counts = Counter(slug for _, slug in phrases)  # every service, three times each
    assert set(counts) == {service["slug"] for service in facts["services"]}
    assert set(counts.values()) == {3}
    outside = {normalise(q, code) for asked in outside_sets for q in asked.get(code, [])}
    asked = outside_set[code]
    assert len(asked) == 20 and len({normalise(q, code) for q in asked}) == 20
    assert [q for q in asked if normalise(q, code) in seed_terms | outside | set(written)] == []


@pytest.mark.parametrize("code", CODES)
def test_the_seeds_example_questions_are_no_phrase_of_any_set_kept_apart_or_tuned_on(code):
    _, texts = read_seed()
    examples = {slug: text["examples"] for slug, text in texts[code].items()}
    # Every service has caller phrasings of its own, none twice, none a seed term.
    assert min(len(items) for items in examples.values()) >= 8
    seed_terms = seed_terms_of(texts, code)
    written = [normalise(item, code) for items in examples.values() for item in items]
    assert len(set(written)) == len(written)
    assert set(written) & seed_terms == set()
    # Measured on every phrase set and both out-of-scope sets, so it repeats none of them.
    sets = (
        PHRASES,
        DEV,
        HELD_OUT,
        FRESH,
        DEV2,
        FINAL,
        CLOSING,
        BLIND,
        DEV3,
        BLIND2,
        BLIND3,
        BLIND4,
        DEV5,
        BLIND5,
        DEV6,
        BLIND6,
        DEV7,
        DEV8,
        BLIND7,
        DEV9,
    )
    elsewhere = {normalise(phrase, code) for phrases in sets for phrase, _ in phrases.get(code, [])}
    outside = (
        *OUTSIDE_DEV[code],
        *OUTSIDE[code],
        *OUTSIDE_BLIND[code],
        *OUTSIDE_DEV3[code],
        *OUTSIDE_BLIND2[code],
        *OUTSIDE_BLIND3[code],
        *OUTSIDE_BLIND4[code],
        *OUTSIDE_DEV5[code],
        *OUTSIDE_BLIND5[code],
        *OUTSIDE_DEV6[code],
        *OUTSIDE_BLIND6[code],
        *OUTSIDE_DEV7.get(code, []),
        *OUTSIDE_DEV8.get(code, []),
        *OUTSIDE_BLIND7[code],
        *OUTSIDE_DEV9.get(code, []),
    )
    elsewhere |= {normalise(q, code) for q in outside}
    assert [w for w in written if w in elsewhere] == []


# Top-1 and top-3 accuracy per language when last measured (bench/guide_accuracy.py prints
# them): each must hold within one phrase, and the whole within a point. The development set
# was tuned on and flatters a little; the held-out set was not, and is the figure to quote.
# Measured again on 7 December once Moroccan towns read as the country, speech fillers were
# dropped and the seed learned the domain's everyday words (wakala, consular fees, sworn
# statements, police custody): closing 85% -> 88%, second blind 92% -> 94% top-1.
# Measured again on 7 December after the latin6 branch (example questions and synonyms for the
# situations the sixth development set showed confused, in fr, en, nl, de, it, es), misses of
# the held-out sets unread: French, English, Dutch, German, Italian and Spanish figures below are
# that run's (Arabic's untouched). Fifth blind set top-1 fr 91%, en 92 -> 91%, nl 93 -> 92%,
# de 93 -> 94%, it 94%, es 95 -> 98%; third blind 94 -> 95%, fourth 95 -> 96% in all.
# The Arabic figures after the arabic6 branch (Arabic synonyms for loanwords and MSA words, MSA
# example questions, possessive endings read off; tuned on the development sets only): fifth
# blind 83 -> 84% top-1, fourth blind 89 -> 91%, blind 95 -> 96%, closing 89%, final 95 -> 92%
# and fresh 97 -> 93% (a phrase each). Every figure below is one run of the bench on both
# branches merged (7 December, 13:20), "driving test" taken out of the English synonyms.
# Every figure below is now one run of the bench (7 December, 17:15) on the arabic7, latin7
# (seventh development set, examples for situations two services share) and sources branches
# merged: fifth blind 92 -> 93% (ar 84 -> 88%), sixth blind (new) 91 -> 93%.
# And again one run (7 December, 21:08) with the arabic8 and latin8 branches (the eighth
# development set, tuned on) and sources2 merged, sealed sets' misses unread: sixth blind 93%
# (ar 93 -> 94%, fr 94 -> 97%, de 91 -> 92%), fifth blind 93% (fr 91 -> 92%, es 98 -> 99%, nl
# 93 -> 92%), fourth blind 96 -> 97%, final fr 92 -> 97%; fresh es 97 -> 93% and third blind en
# 97 -> 96% (a phrase each).
MEASURED = {
    "held-out": (
        HELD_OUT,
        (0.99, 1.00),
        {
            "ar": (1.00, 1.00),
            "fr": (1.00, 1.00),
            "es": (1.00, 1.00),
            "it": (1.00, 1.00),
            "nl": (1.00, 1.00),
            "de": (0.96, 1.00),
            "en": (1.00, 1.00),
        },
    ),
    "development": (
        DEV,
        (0.98, 1.00),
        {
            "ar": (0.99, 1.00),
            "fr": (0.99, 1.00),
            "es": (0.97, 1.00),
            "it": (0.97, 1.00),
            "nl": (0.99, 1.00),
            "de": (0.97, 1.00),
            "en": (0.97, 1.00),
        },
    ),
    "second development": (
        DEV2,
        (0.98, 1.00),
        {
            "ar": (0.99, 1.00),
            "fr": (0.98, 1.00),
            "es": (0.99, 1.00),
            "it": (0.96, 1.00),
            "nl": (0.98, 1.00),
            "de": (0.98, 1.00),
            "en": (0.95, 1.00),
        },
    ),
    # Written on 6 December for ar/de/es (38 each; 8 in each other language), tuned on. The
    # whole is the mean of the languages' figures (English: 6 of 8). Arabic 37 -> 38 of 38 with
    # the arabic9 branch's examples.
    "third development": (
        DEV3,
        (0.97, 1.00),
        {
            "ar": (1.00, 1.00),
            "fr": (1.00, 1.00),
            "es": (0.97, 1.00),
            "it": (1.00, 1.00),
            "nl": (1.00, 1.00),
            "de": (0.97, 1.00),
            "en": (0.88, 1.00),
        },
    ),
    # Written on 7 December before the matcher was studied (ar 114, nl/en/fr 38 each), tuned on:
    # Arabic 92% top-1 (17 of 114 "not found") on the matcher it was written for, 96% (2) after
    # the Darija loanwords, the clitic check and the Arabic bar for a choice; 99% before the
    # arabic9 branch, 100% after it.
    "fifth development": (
        DEV5,
        (1.00, 1.00),
        {"ar": (1.00, 1.00), "fr": (1.00, 1.00), "nl": (1.00, 1.00), "en": (1.00, 1.00)},
    ),
    # Written on 7 December by the latin6 branch before the matcher was studied (fr, en 176 each;
    # nl, de, it, es 132; Arabic on its own branch), tuned on: top-1 fr 87%, en 88%, nl 91%, de 89%,
    # it 88%, es 86% on the seed it was written for, then with the example questions and synonyms
    # written for the situations it showed confused:
    "sixth development": (
        DEV6,
        (0.94, 0.99),
        {
            "ar": (0.98, 0.99),
            "fr": (0.93, 0.99),
            "es": (0.91, 0.99),
            "it": (0.93, 0.99),
            "nl": (0.95, 0.99),
            "de": (0.93, 0.98),
            "en": (0.93, 0.98),
        },
    ),
    # Written on 7 December before any answer on it was seen, three a service in every language
    # (arabic7: half Darija, half MSA; latin7: situations that mix two services'), tuned on:
    # top-1 ar 89%, fr 91%, es 91%, it 92%, nl 92%, de 88%, en 92% on main's seed, then with the
    # synonyms and example questions written for what it showed missing:
    "seventh development": (
        DEV7,
        (0.98, 1.00),
        {
            "ar": (1.00, 1.00),
            "fr": (0.97, 1.00),
            "es": (0.98, 1.00),
            "it": (0.98, 1.00),
            "nl": (0.98, 1.00),
            "de": (0.97, 1.00),
            "en": (0.96, 1.00),
        },
    ),
    # Written on 7 December before any answer on it was seen, three a service in every language
    # (arabic8: half Darija, half MSA; latin8: callers' situations in everyday words), tuned on.
    # On main's seed: top-1 ar 96%, fr 92%, es 91%, it 92%, nl 91%, de 94%, en 89%; then with the
    # synonyms and example questions written for what it showed confused (a grown child
    # registering themselves, a separation, an estate whose heirs live in Morocco, a family too
    # poor to bring the body home, a foreign relative staying some months):
    "eighth development": (
        DEV8,
        (0.94, 0.99),
        {
            "ar": (1.00, 1.00),
            "fr": (0.91, 0.99),
            "es": (0.95, 1.00),
            "it": (0.95, 0.99),
            "nl": (0.92, 0.98),
            "de": (0.95, 0.98),
            "en": (0.92, 1.00),
        },
    ),
    # Written on 8 December before any answer on it was seen, three a service in every language
    # (latin9: callers' situations in everyday words; the Arabic half from its own branch), tuned
    # on. On main's seed: top-1 fr 91%, es 92%, it 95%, nl 91%, de 90%, en 88%; then with the
    # synonyms and example questions written for what it showed confused (an estate whose heirs
    # live in Morocco, a death buried where it happened, a consular card renewed on the portal,
    # proof of being Moroccan by birth, a name spelled two ways, a registration proof for customs).
    # Arabic (arabic9: half Darija, some with French words, half MSA; deaths, births, marriages, a
    # return home, a lost paper, a relative in prison or hospital, two situations in one sentence):
    # 83% top-1, 94% top-3 on main's seed, then with the examples and synonyms written for what it
    # showed confused (a court paper proving one Moroccan, a widow's non-remarriage certificate, a
    # sick parent delegating a sale, an estate's pension and car, a post at a foreign consulate):
    "ninth development": (
        DEV9,
        (0.97, 1.00),
        {
            "ar": (0.99, 1.00),
            "fr": (0.95, 0.99),
            "es": (0.97, 1.00),
            "it": (1.00, 1.00),
            "nl": (0.97, 1.00),
            "de": (0.96, 1.00),
            "en": (0.96, 0.98),
        },
    ),
    # Written when the guide grew from 23 services to 38, then measured while the second
    # development set was written and tuned on (never its items).
    "fresh held-out": (
        FRESH,
        (0.95, 1.00),
        {
            "ar": (0.97, 1.00),
            "fr": (0.90, 1.00),
            "es": (0.93, 1.00),
            "it": (0.97, 1.00),
            "nl": (0.93, 0.97),
            "de": (0.97, 1.00),
            "en": (1.00, 1.00),
        },
    ),
    # Written before the last tuning round of the terms, items never read. Measured again on
    # 7 December once the six last catalogue services were added (tuned on the tuning sets
    # only): French 37 -> 35 of 38 top-1, the whole 94% -> 93%.
    "final held-out": (
        FINAL,
        (0.95, 0.97),
        {
            "ar": (0.92, 0.97),
            "fr": (0.97, 1.00),
            "es": (0.95, 0.95),
            "it": (0.97, 0.97),
            "nl": (0.97, 1.00),
            "de": (0.89, 0.95),
            "en": (0.95, 0.97),
        },
    ),
    # Written after all the tuning of the terms; measured once with the example questions
    # (issue 18), its misses unread: 69% top-1 before them, 78% with them, 85% with the learned
    # score (6 December night), still short of 95% (README). After the ninth round (8 December,
    # 01:23): Spanish 87 -> 79% (3 of 38), German 84 -> 87%.
    "closing held-out": (
        CLOSING,
        (0.88, 0.98),
        {
            "ar": (0.89, 0.97),
            "fr": (0.89, 0.97),
            "es": (0.79, 0.97),
            "it": (0.89, 1.00),
            "nl": (0.95, 1.00),
            "de": (0.87, 0.97),
            "en": (0.89, 0.97),
        },
    ),
    # Written blind (see BLIND), measured once on the merged matcher: 89% top-1 before the
    # example questions, 96% with them; Arabic (89%) and German (92%) short of 95%. With the
    # six last catalogue services (7 December): Arabic 74 -> 72 of 76 top-1 (top-3 75 -> 74),
    # Spanish 75 -> 74; the whole 98% top-1 as before, top-3 100% -> 99%.
    "blind held-out": (
        BLIND,
        (0.98, 1.00),
        {
            "ar": (0.97, 0.99),
            "fr": (1.00, 1.00),
            "es": (0.96, 0.99),
            "it": (0.99, 1.00),
            "nl": (0.97, 1.00),
            "de": (0.97, 1.00),
            "en": (1.00, 1.00),
        },
    ),
    # Written blind from the services' titles only (see BLIND2), sealed while that day's seed
    # grew by 100 example questions, measured once on the merged tree: 92% top-1, as before
    # the new examples; English (87%) and Italian (90%) lowest, none at 95% but Arabic.
    "second blind held-out": (
        BLIND2,
        (0.94, 1.00),
        {
            "ar": (0.96, 1.00),
            "fr": (0.94, 1.00),
            "es": (0.94, 1.00),
            "it": (0.94, 1.00),
            "nl": (0.94, 1.00),
            "de": (0.95, 1.00),
            "en": (0.90, 0.99),
        },
    ),
    # Callers' situations (see BLIND3), measured on 7 December on the matcher before the learned
    # score (91% top-1, Arabic and Spanish 88%) and once after it: 94%, three languages at 95%.
    "third blind held-out": (
        BLIND3,
        (0.96, 0.99),
        {
            "ar": (0.96, 0.99),
            "fr": (0.93, 0.99),
            "es": (0.96, 0.99),
            "it": (0.99, 0.99),
            "nl": (0.97, 0.99),
            "de": (0.97, 1.00),
            "en": (0.95, 1.00),
        },
    ),
    # Callers' situations again (see BLIND4), measured once on 7 December before the morning's
    # matcher and sources work and once after: 95% top-1 both times, Arabic 87% (20 of 76 hear
    # "not found"), Dutch and English 93%; top-3 99% then 98%. The same figures once more after
    # four phrasings equal to seed examples were replaced (its `_about` says so). After the
    # arabic5 branch (Darija loanwords, clitics, the Arabic bar for a choice), its misses unread:
    # Arabic 91% top-1, 96% top-3, 10 of 76 "not found"; every other figure the same.
    "fourth blind held-out": (
        BLIND4,
        (0.97, 0.99),
        {
            "ar": (0.93, 0.96),
            "fr": (0.97, 0.99),
            "es": (0.99, 1.00),
            "it": (0.99, 1.00),
            "nl": (0.97, 1.00),
            "de": (0.99, 0.99),
            "en": (0.95, 0.99),
        },
    ),
    # Written for the 44-service guide before its last six services existed (see BLIND5), sealed
    # while they, the Arabic bar and the Darija work were done, measured by the lead on main
    # before that work (92.5% top-1 on the 38 services then in the guide, Arabic 87%) and after
    # it only (misses unread): 91.7% top-1, the 38 older services 92.9%, the six new 84.5%
    # (Arabic 7 of 12). Arabic 83%, French 91%, English 92%: under issue 18's 95%.
    "fifth blind held-out": (
        BLIND5,
        (0.95, 0.99),
        {
            "ar": (0.92, 0.99),
            "fr": (0.93, 0.98),
            "es": (0.99, 1.00),
            "it": (0.95, 0.99),
            "nl": (0.93, 0.99),
            "de": (0.97, 1.00),
            "en": (0.93, 0.99),
        },
    ),
    # Written on 7 December by an engineer who read only the services' slugs, English titles and
    # first summary sentences, sealed while the arabic7, latin7 and sources branches tuned the
    # guide (13 phrasings that equalled a seed term or another set's phrase rewritten by the lead
    # without a search), measured on main before them (91% top-1: ar 93, fr 93, es 91, it 92,
    # nl 89, de 90, en 91) and once after (misses unread). Under issue 18's 95% in every language.
    # After the ninth round (8 December, 01:23): French 97 -> 94%, Arabic and Italian 95%.
    "sixth blind held-out": (
        BLIND6,
        (0.93, 0.99),
        {
            "ar": (0.95, 1.00),
            "fr": (0.94, 1.00),
            "es": (0.94, 0.98),
            "it": (0.95, 1.00),
            "nl": (0.91, 0.98),
            "de": (0.91, 0.99),
            "en": (0.92, 0.99),
        },
    ),
    # Written on 8 December the same way (services' slugs, English titles and first summary
    # sentences only), sealed while the arabic9, latin9 and sources3 branches tuned the guide,
    # measured once on main before them (93%: ar 93, fr 94, es 95, it 95, nl 92, de 90, en 92)
    # and once after (misses unread). One Italian phrasing (a licence swapped on moving back)
    # equalled one the ninth development set was tuned on; that set's copy is reworded since.
    "seventh blind held-out": (
        BLIND7,
        (0.94, 0.99),
        {
            "ar": (0.97, 0.99),
            "fr": (0.94, 0.99),
            "es": (0.95, 1.00),
            "it": (0.98, 0.99),
            "nl": (0.93, 0.99),
            "de": (0.93, 1.00),
            "en": (0.91, 0.95),
        },
    ),
}


@pytest.mark.parametrize("name", MEASURED)
def test_caller_phrasings_are_found_about_as_often_as_measured(app, guide, name):
    phrase_set, (all_one, all_three), by_language = MEASURED[name]
    figures = {}
    with app.app_context():
        for code in [c for c in CODES if phrase_set.get(c)]:  # the fifth tuning set: four languages
            found = [([m.slug for m in search.search(p, code)], s) for p, s in phrase_set[code]]
            figures[code] = (
                sum(bool(slugs) and slugs[0] == slug for slugs, slug in found) / len(found),
                sum(slug in slugs for slugs, slug in found) / len(found),
            )
    top1 = sum(one for one, _ in figures.values()) / len(figures)
    top3 = sum(three for _, three in figures.values()) / len(figures)
    report = {code: f"top-1 {one:.0%}, top-3 {three:.0%}" for code, (one, three) in figures.items()}
    assert top1 >= all_one - 0.01 and top3 >= all_three - 0.01, report
    for code, (one, three) in figures.items():
        slack = 1 / len(phrase_set[code]) + 0.005  # one phrase, and the rounding of the figure
        floor_one, floor_three = by_language[code]
        assert one >= floor_one - slack and three >= floor_three - slack, (code, report)


# Questions outside the guide answered with one confident wrong service, per language, when
# last measured: at most 5% of the held-out set in every language (the set tuned on, less).
CONFIDENT_WRONG = {
    # With the learned score (issue 18's "honest matching" round, 6 December night): none of the
    # held-out, blind or second blind questions is read out as an answer (1, 2, 1 before).
    "held-out": (OUTSIDE, {"ar": 0, "fr": 0, "es": 0, "it": 0, "nl": 0, "de": 0, "en": 0}),
    "tuned on": (OUTSIDE_DEV, {"ar": 1, "fr": 0, "es": 0, "it": 0, "nl": 0, "de": 0, "en": 0}),
    # Written on 7 December, some near the guide's words; measured before any change: 11 of 140
    # (a doctor's appointment in five languages, the residence country's nationality in three,
    # car insurance in two), the same after. Over 5% in ar, fr, it: the work still to do.
    "tuned on, fifth set": (
        OUTSIDE_DEV5,
        # With main's six new services (services6) merged: Italian 3, Dutch 2 (car insurance).
        # latin7 (a doctor or driving lessons never read out as one answer): 9. latin9 (the
        # residence country's own papers, unless Morocco is named, offered as a choice): 6.
        {"ar": 1, "fr": 1, "es": 1, "it": 1, "nl": 1, "de": 0, "en": 0},
    ),
    # Fifteen a language in the six Latin-script languages and twenty-five in Arabic, written with
    # the sixth development set before any search answer on them was seen: none read out as an
    # answer, before or after the latin6 and arabic6 branches' seed work.
    "tuned on, sixth set": (
        OUTSIDE_DEV6,
        {"ar": 0, "fr": 0, "es": 0, "it": 0, "nl": 0, "de": 0, "en": 0},
    ),
    # Twenty a language, written with the seventh development set. Arabic: one read out as an
    # answer (a car broken down on the motorway: the car's temporary admission), none after the
    # arabic7 branch. The six Latin-script languages: 5 read out on main's matcher (fr 2: a GP,
    # driving lessons; nl, en: a GP; de: German nationality), 1 once a doctor or driving lessons
    # cap the verdict at a choice (latin7).
    "tuned on, seventh set": (
        OUTSIDE_DEV7,
        # German nationality: a choice after latin9 (the residence country's own papers).
        {"ar": 0, "fr": 0, "es": 0, "it": 0, "nl": 0, "de": 0, "en": 0},
    ),
    # Twenty a language, written with the eighth development set. Arabic: one read out as an
    # answer before and after the arabic8 branch (a Dutch driving licence lost, a new one asked of
    # the town hall: the driving licence's service; 5%, at issue 18's bar). The six Latin-script
    # languages: 5 read out as one answer on main's matcher (fr: a foreign husband's passport; it:
    # licence points; nl 2: a Dutch licence, an interpreter at the hospital; en: a licence at the
    # DVLA), 2 once an interpreter, licence points and the residence country's licence agency cap
    # the verdict at a choice (latin8).
    "tuned on, eighth set": (
        OUTSIDE_DEV8,
        # After latin9: Dutch none (a Dutch licence at the gemeente, a choice), Spanish one (a
        # Spanish car insurance in Morocco, 190.0 against the 190 bar: a choice before).
        {"ar": 1, "fr": 1, "es": 1, "it": 0, "nl": 0, "de": 0, "en": 0},
    ),
    # Twenty a language, written with the ninth development set, in Dutch, German and English
    # mostly near the guide's words (the residence country's own offices and papers, a bank,
    # insurance, travel bookings). The six Latin-script languages: 8 read out as one answer on
    # main's matcher (fr: a French car's registration; es: an ITV; it: an Italian passport at the
    # questura; nl 3: a Dutch passport at the gemeente, a VOG, a ferry with the car; de: a German
    # passport; en: child benefit), 2 once the residence country's own offices and papers cap the
    # verdict at a choice unless Morocco is named (latin9): fr the car's registration, nl the ferry.
    # Arabic: one read out on main's matcher (an early German pension: the life certificate), none
    # once a doctor, a dentist and an early pension cap the Arabic verdict at a choice (arabic9).
    "tuned on, ninth set": (
        OUTSIDE_DEV9,
        {"ar": 0, "fr": 1, "es": 0, "it": 0, "nl": 1, "de": 0, "en": 0},
    ),
    "blind": (OUTSIDE_BLIND, {"ar": 0, "fr": 0, "es": 0, "it": 0, "nl": 0, "de": 0, "en": 0}),
    "second blind": (
        OUTSIDE_BLIND2,
        {"ar": 0, "fr": 0, "es": 0, "it": 0, "nl": 0, "de": 0, "en": 0},
    ),
    # Italian 1 of 25 (4%) before the learned score, none after.
    "third blind": (
        OUTSIDE_BLIND3,
        {"ar": 0, "fr": 0, "es": 0, "it": 0, "nl": 0, "de": 0, "en": 0},
    ),
    # Measured once before the morning's matcher work (7 of 175: fr 2, nl 2, it, de, en 1 each)
    # and once after it (8: German 2 instead of 1; misses unread). French, Dutch and German are
    # at 8%, over issue 18's 5%.
    # With the six last catalogue services (7 December): 7, French 1 instead of 2.
    # After the latin6 branch's seed work: 9, English 3 instead of 1 (12%, over issue 18's 5%);
    # with its new English synonym "driving test" taken out again on the merge: 8 (fr 1, it 1,
    # nl 2, de 2, en 2). Dutch, German and English at 8%, over issue 18's 5%.
    # After the latin7 branch (a doctor or driving lessons never read out as one answer): 3 (fr,
    # it, en 1 each). Not an independent figure: two of this set's questions (a GP appointment,
    # driving lessons) had been seen on 7 December, and those topics were in latin7's brief.
    "fourth blind": (
        OUTSIDE_BLIND4,
        {"ar": 0, "fr": 1, "es": 0, "it": 1, "nl": 0, "de": 0, "en": 1},
    ),
    # Measured once, after the six new services and the Arabic work (misses unread): 1 of 175;
    # none after the latin6 branch's seed work.
    "fifth blind": (
        OUTSIDE_BLIND5,
        {"ar": 0, "fr": 0, "es": 0, "it": 0, "nl": 0, "de": 0, "en": 0},
    ),
    # Written with the sixth blind set, sealed the same way: 10 of 175 read out as an answer on
    # main before the arabic7, latin7 and sources branches (fr 2, nl 4, de 1, en 3), 5 after (fr 1,
    # nl 2, en 2): Dutch and English at 8%, over issue 18's 5%.
    "sixth blind": (
        # After the arabic8 and latin8 branches (7 December, 21:08): 5 again, Italian 1 instead
        # of none and English 1 instead of 2. Dutch still at 8%. After the ninth round (8 December,
        # 01:23): 3 (fr, nl, en 1 each: 4%).
        OUTSIDE_BLIND6,
        {"ar": 0, "fr": 1, "es": 0, "it": 0, "nl": 1, "de": 0, "en": 1},
    ),
    # Written with the seventh blind set, sealed the same way: 3 of 175 read out as an answer on
    # main before the arabic9, latin9 and sources3 branches (ar, it, de 1 each: 4%), 1 after (ar).
    "seventh blind": (
        OUTSIDE_BLIND7,
        {"ar": 1, "fr": 0, "es": 0, "it": 0, "nl": 0, "de": 0, "en": 0},
    ),
}


@pytest.mark.parametrize("name", CONFIDENT_WRONG)
def test_questions_outside_the_guide_are_rarely_answered_with_confidence(app, guide, name):
    asked, measured = CONFIDENT_WRONG[name]
    with app.app_context():
        for code in measured:
            questions = asked[code]
            assert len(questions) >= 12 and len(set(questions)) == len(questions)
            confident = [
                q for q in questions if search.verdict(search.search(q, code)).kind == "clear"
            ]
            assert len(confident) <= measured[code], (code, confident)
            if name == "held-out":
                assert len(confident) / len(questions) <= 0.05, (code, confident)


@pytest.mark.parametrize("code", CODES)
def test_no_out_of_scope_question_is_a_seed_term_or_in_both_sets(code):
    _, texts = read_seed()
    seed_terms = seed_terms_of(texts, code)
    tuned = {normalise(q, code) for q in OUTSIDE_DEV[code]}
    for question in OUTSIDE[code]:
        assert normalise(question, code) not in seed_terms | tuned, question
    held_out = {normalise(q, code) for q in OUTSIDE[code]}
    for question in OUTSIDE_BLIND[code]:
        assert normalise(question, code) not in seed_terms | tuned | held_out, question
    blind = {normalise(q, code) for q in OUTSIDE_BLIND[code]}
    for question in OUTSIDE_BLIND2[code]:
        assert normalise(question, code) not in seed_terms | tuned | held_out | blind, question
    blind2 = {normalise(q, code) for q in OUTSIDE_BLIND2[code]}
    for question in OUTSIDE_BLIND3[code]:
        assert normalise(question, code) not in seed_terms | tuned | held_out | blind | blind2
    blind3 = {normalise(q, code) for q in OUTSIDE_BLIND3[code]}
    for question in OUTSIDE_BLIND4[code]:
        assert (
            normalise(question, code) not in seed_terms | tuned | held_out | blind | blind2 | blind3
        )
    blind4 = {normalise(q, code) for q in OUTSIDE_BLIND4[code]}
    earlier = seed_terms | tuned | held_out | blind | blind2 | blind3 | blind4
    earlier |= {normalise(q, code) for q in OUTSIDE_DEV3[code] + OUTSIDE_DEV5[code]}
    for question in OUTSIDE_BLIND5[code]:
        assert normalise(question, code) not in earlier
    earlier |= {normalise(q, code) for q in OUTSIDE_BLIND5[code] + OUTSIDE_DEV6[code]}
    earlier |= {normalise(q, code) for q in OUTSIDE_DEV7.get(code, [])}
    for question in OUTSIDE_BLIND6[code]:
        assert normalise(question, code) not in earlier, question
    earlier |= {normalise(q, code) for q in OUTSIDE_BLIND6[code] + OUTSIDE_DEV8.get(code, [])}
    asked = OUTSIDE_BLIND7[code]  # twenty-five a language, none twice, none asked before
    assert len(asked) == 25 and len({normalise(q, code) for q in asked}) == 25
    for question in asked:
        assert normalise(question, code) not in earlier, question


def test_search_answers_best_first_with_a_verdict(app, guide):
    with app.app_context():
        clear = search.search("je dois renouveler mon passeport", "fr")
        assert clear[0].slug == "passport"
        assert search.verdict(clear).kind == "clear"
        assert [m.score for m in clear] == sorted((m.score for m in clear), reverse=True)
        # The price of a passport is what the fees' answer says (860 dirhams for an adult).
        price = search.search("combien coûte le passeport", "fr")
        assert [m.slug for m in price][:2] == ["fees-and-payment", "passport"]
        assert search.verdict(search.search("quelle est la météo demain", "fr")).kind == "none"
        assert search.search("", "fr") == []


def test_a_match_far_ahead_of_every_other_is_read_out_though_a_little_weaker():
    def verdict_of(*scores):
        return search.verdict([search.Match(f"s{i}", "", s) for i, s in enumerate(scores)]).kind

    clear, alone, close = search.CLEAR_MIN, search.ALONE_MIN, search.CLOSE_MIN
    assert verdict_of(clear, clear - search.CLEAR_MARGIN) == "clear"  # good enough, and ahead
    assert verdict_of(clear, clear - search.CLEAR_MARGIN + 1) == "close"  # another is near
    assert verdict_of(alone, alone - search.ALONE_MARGIN) == "clear"  # nothing comes near
    assert verdict_of(alone, alone - search.ALONE_MARGIN + 1) == "close"
    assert verdict_of(alone - 1, 40) == "close"  # too weak to be read out alone
    assert verdict_of(close - 1, 10) == "none"
    # A phrase naming what no consulate does (a doctor) is offered a choice, however strong.
    hedged = search.Match("s0", "", clear + 100, elsewhere=True)
    assert search.verdict([hedged]).kind == "close"


@pytest.mark.parametrize(
    "code, elsewhere, consular",
    [
        (
            "en",
            "i need an appointment with my doctor next week",
            "i need an appointment at the consulate next week",
        ),
        (
            "de",
            "kann ich beim zahnarzt einen termin bekommen",
            "kann ich beim konsulat einen termin bekommen",
        ),
        (
            "nl",
            "ik wil een afspraak maken bij de tandarts",
            "ik wil een afspraak maken bij het consulaat",
        ),
    ],
)
def test_a_question_about_a_doctor_is_offered_a_choice_never_read_one_answer(
    app, guide, code, elsewhere, consular
):
    with app.app_context():
        asked_elsewhere = search.verdict(search.search(elsewhere, code), code)
        asked_here = search.verdict(search.search(consular, code), code)
    assert asked_elsewhere.kind != "clear"  # the ranking may still lead to appointments
    assert asked_here.kind == "clear" and asked_here.matches[0].slug == "appointments"


@pytest.mark.parametrize(
    "code, residence_paper, moroccan_paper, slug",
    [
        (
            "nl",
            "ik heb een verklaring omtrent het gedrag nodig voor de ind",
            "ik heb een verklaring omtrent het gedrag uit marokko nodig voor de ind",
            "criminal-record",
        ),
        (
            "nl",
            "ik wil een nieuw nederlands paspoort aanvragen",
            "ik wil een nieuw marokkaans paspoort aanvragen",
            "passport",
        ),
        (
            "de",
            "ich brauche einen neuen deutschen reisepass",
            "ich brauche einen neuen marokkanischen reisepass",
            "passport",
        ),
    ],
)
def test_the_residence_countrys_own_paper_is_offered_a_choice_a_moroccan_one_is_answered(
    app, guide, code, residence_paper, moroccan_paper, slug
):
    with app.app_context():
        theirs = search.verdict(search.search(residence_paper, code), code)
        ours = search.verdict(search.search(moroccan_paper, code), code)
    assert theirs.kind == "close" and theirs.matches[0].slug == slug  # the ranking stays
    assert ours.kind == "clear" and ours.matches[0].slug == slug


def test_a_word_only_a_services_description_uses_tips_a_tie_its_way():
    entries = [
        search.Entry("a", "certificate", ("certificate",), "for people who never married"),
        search.Entry("b", "certificate", ("certificate",), "for pensioners abroad"),
    ]
    index = search.GuideIndex("en", entries)
    assert index.search("certificate for pensioners")[0].slug == "b"
    assert index.search("certificate as I never married")[0].slug == "a"


def test_a_situation_is_found_by_the_nearest_example_question_not_by_the_services_name():
    examples = {
        "passport": ("my passport ran out last month and I travel in june",),
        "remains": ("my father passed away and we want to bury him back home",),
    }
    entries = [
        search.Entry("passport", "passport", ("passport renewal",), "", examples["passport"]),
        search.Entry(
            "remains", "repatriation", ("repatriation of remains",), "", examples["remains"]
        ),
    ]
    phrase = "my mother passed away in lyon and we will bury her at home"
    assert search.GuideIndex("en", entries).search(phrase)[0].slug == "remains"
    # Without the example question, nothing the caller said is a word of the service's.
    bare = [replace(entry, examples=()) for entry in entries]
    assert [m.slug for m in search.GuideIndex("en", bare).search(phrase)][:1] != ["remains"]


def test_a_published_edit_is_searchable_at_once_and_a_draft_is_not(app, guide):
    with app.app_context():
        service = db.session.scalar(sa.select(Service).where(Service.slug == "visa"))
        draft = services.draft(service, "en", {"synonyms": ["zanzibar stamp"]}, author="editor")
        db.session.commit()
        assert search.search("zanzibar stamp", "en")[0].slug != "visa"
        assert services.published("visa", "en").text.version == 1
        services.publish(draft, reviewer="editor")
        assert services.mark_others_stale(draft) == 6
        db.session.commit()
        assert search.search("zanzibar stamp", "en")[0].slug == "visa"
        assert services.published("visa", "en").text.version == 2
        assert services.published("visa", "fr").text.review_state == STALE
        states = {t.version: t.status for t in services.versions(service, "en")}
        assert states == {2: PUBLISHED, 1: ARCHIVED}
        restored = services.restore(services.versions(service, "en")[1], author="editor")
        db.session.commit()
        assert (restored.version, restored.status, restored.synonyms) == (
            3,
            DRAFT,
            services.versions(service, "en")[2].synonyms,
        )


def test_an_edit_in_one_language_rebuilds_only_that_languages_index(app, guide):
    # Building a language's index costs about a second: after an English edit, the next French
    # caller on every worker must not wait for one.
    with app.app_context():
        english, french = search.index_for("en"), search.index_for("fr")
        service = db.session.scalar(sa.select(Service).where(Service.slug == "visa"))
        draft = services.draft(service, "en", {"synonyms": ["zanzibar stamp"]}, author="editor")
        services.publish(draft, reviewer="editor")
        db.session.commit()
        assert search.search("zanzibar stamp", "en")[0].slug == "visa"
        assert search.index_for("en").examples is not english.examples  # built afresh
        assert search.index_for("fr").revision != french.revision  # follows the guide...
        assert search.index_for("fr").examples is french.examples  # ...without a rebuild
        # The English text put back as it was finds the index it had, not a new build.
        restored = services.restore(services.versions(service, "en")[1], author="editor")
        services.publish(restored, reviewer="editor")
        db.session.commit()
        assert search.index_for("en").examples is english.examples


def test_an_unpublished_service_leaves_the_search(app, guide):
    with app.app_context():
        service = db.session.scalar(sa.select(Service).where(Service.slug == "marriage"))
        service.published = False
        db.session.commit()
        assert all(m.slug != "marriage" for m in search.search("mariage au consulat", "fr", 5))
        assert services.published("marriage", "fr") is None


def test_unmatched_phrases_are_counted_per_language_without_long_numbers(app, guide):
    with app.app_context():
        services.log_unmatched("Quelle est la météo ?", "fr")
        services.log_unmatched("quelle est la meteo", "fr")
        services.log_unmatched("quelle est la meteo", "en")
        services.log_unmatched("mon dossier 0612345678", "fr")
        db.session.commit()
        rows = {
            (r.language, r.normalised): r for r in db.session.scalars(sa.select(UnmatchedPhrase))
        }
        assert rows[("fr", normalise("quelle est la météo", "fr"))].count == 2
        assert rows[("en", normalise("quelle est la meteo", "en"))].count == 1
        assert not any("612345678" in r.phrase for r in rows.values())
        assert services.unmatched("fr")[0].count == 2


def test_spoken_summaries_are_short_enough_for_the_phone():
    _, texts = read_seed()
    for code in CODES:
        for slug, entry in texts[code].items():
            assert len(entry["summary"]) <= 360, (code, slug, len(entry["summary"]))


def test_an_arabic_noun_with_a_possessive_ending_is_heard_as_the_noun():
    # "رخصتي" is "رخصة" (licence) + "my", its final ة written ت; "فبطاقتي" adds "in" before it.
    entries = [
        search.Entry("licence", "رخصة السياقة", ("رخصة السياقة",)),
        search.Entry("card", "البطاقة الوطنية", ("البطاقة الوطنية",)),
    ]
    index = search.GuideIndex("ar", entries)

    def term_score(phrase: str, service: int) -> float:
        return float(index.term_scores(tokens(phrase, "ar"))[service])

    assert term_score("رخصتي السياقة", 0) == term_score("رخصة السياقة", 0)
    assert term_score("فبطاقتي الوطنية", 1) > 100  # the term heard whole, words and all
    assert index.search("رخصتي ديال السياقة")[0].slug == "licence"


@pytest.mark.parametrize("code", CODES)
def test_every_seed_term_and_example_fits_what_the_editor_keeps(code):
    # The editor refuses a term or example longer than it keeps; an export of the seed guide
    # must import again unchanged, so the seed holds none either.
    _, texts = read_seed()
    too_long = [
        (slug, field, item)
        for slug, text in texts[code].items()
        for field in ("keywords", "synonyms", "examples")
        for item in text.get(field) or []
        if len(" ".join(str(item).split())) > LIMITS["term"]
    ]
    assert too_long == []
