"""The guide's seed content, kept as data files (knowledge/seed/), loaded by `flask setup`.

`services.json` holds the categories and each service's language-independent facts;
`<language>.json` holds the text of every service in that language; `examples.json` the
questions callers ask that each service answers, per language, which the search compares a
caller's phrase with. Loading adds what
is missing and never overwrites: once in the database, the content belongs to editors.
The one thing it brings up to date is a text no editor has touched yet (the seed's own
published version): it takes the seed's current wording and search words, so an upgraded
centre answers and understands callers as well as a new one.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from centre.clock import now, to_storage
from centre.extensions import db
from centre.languages import CODES
from knowledge.models import CURRENT, PUBLISHED, Category, CategoryName, Fee, Service
from knowledge.models import ServiceTranslation as Text

SEED = Path(__file__).resolve().parent / "seed"
REQUIRED = ("title", "summary", "where_to_apply", "keywords")


class SeedError(ValueError):
    """The seed files are incomplete or inconsistent."""


def read_seed(folder: Path = SEED) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Read and check the seed files: the facts, and the texts per language."""
    facts = json.loads((folder / "services.json").read_text(encoding="utf-8"))
    texts: dict[str, dict[str, Any]] = {}
    slugs = [s["slug"] for s in facts["services"]]
    examples_file = folder / "examples.json"
    examples = (
        json.loads(examples_file.read_text(encoding="utf-8")) if examples_file.exists() else {}
    )
    for code in CODES:
        data = json.loads((folder / f"{code}.json").read_text(encoding="utf-8"))
        defaults = data.get("defaults", {})
        texts[code] = {}
        for slug in slugs:
            if slug not in data["services"]:
                raise SeedError(f"{code}.json lacks {slug}")
            entry = {**defaults, **data["services"][slug]}
            missing = [name for name in REQUIRED if not entry.get(name)]
            if missing:
                raise SeedError(f"{code}.json: {slug} lacks {', '.join(missing)}")
            entry["examples"] = list(examples.get(code, {}).get(slug, []))
            texts[code][slug] = entry
        for category in facts["categories"]:
            if not category["names"].get(code):
                raise SeedError(f"category {category['slug']} has no {code} name")
        extra = (set(data["services"]) | set(examples.get(code, {}))) - set(slugs)
        if extra:
            raise SeedError(f"{code}.json has unknown services: {', '.join(sorted(extra))}")
    return facts, texts


def _documents(items: list[Any]) -> list[dict[str, Any]]:
    return [
        {"text": item, "when": None}
        if isinstance(item, str)
        else {"text": item["text"], "when": item.get("when")}
        for item in items
    ]


def _refresh_untouched(text: Text, entry: dict[str, Any]) -> bool:
    """Bring a text no editor has touched up to the seed's; say if anything changed.

    Only the seed's own published first version counts as untouched: the seed's authors
    may still improve it (new search words, a hedge replaced by what to ask the consulate).
    """
    if text.created_by != "seed" or text.version != 1 or text.status != PUBLISHED:
        return False
    values = {
        "title": entry["title"],
        "summary": entry["summary"],
        "eligibility": entry.get("eligibility", ""),
        "documents": _documents(entry.get("documents", [])),
        "fee_text": entry.get("fee_text", ""),
        "delay_text": entry.get("delay_text", ""),
        "where_to_apply": entry["where_to_apply"],
        "keywords": list(entry["keywords"]),
        "synonyms": list(entry.get("synonyms", [])),
        "examples": list(entry.get("examples", [])),
    }
    changed = False
    for field, value in values.items():
        if getattr(text, field) != value:
            setattr(text, field, value)  # a new value, so JSON columns are saved
            changed = True
    return changed


def _refresh_untouched_source(service: Service, data: dict[str, Any]) -> bool:
    """Bring the source of a service whose facts no editor has versioned up to the seed's.

    The seed's authors re-source services (an official page found, its answer rewritten from
    it): a centre set up earlier gets the new link, its date and the verified flag with the
    untouched answers. Once an editor has saved the service's facts, they are the editors'.
    """
    if service.facts_versions:
        return False
    checked = data.get("source_checked_on")
    values = {
        "verified": data["verified"],
        "source_url": data["source_url"],
        "source_checked_on": date.fromisoformat(checked) if checked else None,
    }
    changed = False
    for field, value in values.items():
        if getattr(service, field) != value:
            setattr(service, field, value)
            changed = True
    return changed


def load_seed(folder: Path = SEED) -> int:
    """Add the seed's missing rows and bring untouched texts up to the seed; return rows changed."""
    facts, texts = read_seed(folder)
    moment = to_storage(now())
    added = 0
    categories = {c.slug: c for c in db.session.scalars(sa.select(Category))}
    for position, data in enumerate(facts["categories"]):
        category = categories.get(data["slug"])
        if category is None:
            category = categories[data["slug"]] = Category(slug=data["slug"], position=position)
            db.session.add(category)
            added += 1
        have = {n.language for n in category.names}
        for code in CODES:
            if code not in have:
                category.names.append(CategoryName(language=code, name=data["names"][code]))
                added += 1
    services = {s.slug: s for s in db.session.scalars(sa.select(Service))}
    for position, data in enumerate(facts["services"]):
        service = services.get(data["slug"])
        if service is None:
            service = Service(
                slug=data["slug"],
                category=categories[data["category"]],
                position=position,
                verified=data["verified"],
                source_url=data["source_url"],
                source_checked_on=date.fromisoformat(data["source_checked_on"])
                if data.get("source_checked_on")
                else None,
                delay_days=data.get("delay_days"),
                appointment_required=data.get("appointment_required"),
                presence_required=data.get("presence_required"),
                published=True,
                updated_at=moment,
                fees=[
                    Fee(
                        kind=fee["kind"],
                        amount_dh=fee["amount_dh"],
                        checked_on=date.fromisoformat(fee["checked_on"])
                        if fee.get("checked_on")
                        else None,
                        position=index,
                    )
                    for index, fee in enumerate(data.get("fees", []))
                ],
            )
            db.session.add(service)
            added += 1
        else:
            added += _refresh_untouched_source(service, data)
        have = {t.language for t in service.translations}
        for text in service.translations:
            if text.language in texts:
                added += _refresh_untouched(text, texts[text.language][data["slug"]])
        for code in CODES:
            if code in have:
                continue
            entry = texts[code][data["slug"]]
            service.translations.append(
                Text(
                    language=code,
                    version=1,
                    status=PUBLISHED,
                    review_state=CURRENT,
                    title=entry["title"],
                    summary=entry["summary"],
                    eligibility=entry.get("eligibility", ""),
                    documents=_documents(entry.get("documents", [])),
                    fee_text=entry.get("fee_text", ""),
                    delay_text=entry.get("delay_text", ""),
                    where_to_apply=entry["where_to_apply"],
                    keywords=list(entry["keywords"]),
                    synonyms=list(entry.get("synonyms", [])),
                    examples=list(entry.get("examples", [])),
                    created_at=moment,
                    created_by="seed",
                    published_at=moment,
                )
            )
            added += 1
    db.session.flush()
    return added
