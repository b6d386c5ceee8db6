"""The whole guide as one file (YAML, or JSON), for bulk edits and translators.

Export: the categories with their names; per service its facts and, per language, the text an
editor works from (the open draft, else the published text). Each text carries its `version`,
`status` and `review_state` for information; import ignores them.

Import: the file is checked whole first; any problem refuses it all, with the line and field
at fault, and nothing is written. Then every category, facts and text that differs from the
guide becomes a draft (published at once with `publish=True`, the source language first, as
is a waiting draft the file agrees with);
what is identical is left alone, so importing an export changes nothing. Services, categories
and languages absent from the file are left as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

import sqlalchemy as sa
import yaml
from flask_babel import gettext

from centre.extensions import db
from centre.languages import CODES
from centre.plaintext import is_web_link, unsafe_character
from centre.refusals import Refused
from knowledge import editing
from knowledge.editing import FACT_FIELDS, TEXT_FIELDS, Author, EditRefused
from knowledge.models import Category, CategoryName
from staff import audit

FORMAT = 1
INFO_FIELDS = ("version", "status", "review_state")
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
MAX_PROBLEMS = 20
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """Something wrong in an imported file: where, which field, and what."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        """Return the problem as one line for the page or the terminal."""
        where = gettext("line %(line)s", line=self.line)
        return (
            f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ImportRefused(Refused):
    """The file was refused; nothing of it was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        """Keep the problems found, in file order."""
        super().__init__(text="; ".join(str(p) for p in problems))
        self.problems = problems

    @property
    def message(self) -> str:
        """Return the problems, in file order, in the language of the page being built."""
        return "; ".join(str(p) for p in self.problems)


@dataclass
class Summary:
    """What an import changed."""

    categories: int = 0
    services_added: int = 0
    drafts: int = 0
    published: int = 0


# --- export ----------------------------------------------------------------------------------


def export_guide() -> dict[str, Any]:
    """Return the whole guide as plain data, in a stable order."""
    categories = [
        {
            "slug": c.slug,
            "position": c.position,
            "names": {
                n.language: n.name
                for n in sorted(c.names, key=lambda n: CODES.index(n.language))
                if n.language in CODES
            },
        }
        for c in editing.all_categories()
    ]
    services = []
    for service in editing.all_services():
        texts = {}
        for code in CODES:
            text = editing.latest_text(service, code)
            if text is not None:
                texts[code] = {
                    "version": text.version,
                    "status": text.status,
                    "review_state": text.review_state,
                    **editing.text_values(text),
                }
        services.append(
            {"slug": service.slug, "facts": editing.latest_facts(service), "texts": texts}
        )
    return {"guide": FORMAT, "categories": categories, "services": services}


def dump(data: dict[str, Any], fmt: str = "yaml") -> str:
    """Return the exported guide as YAML or JSON text."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.dump(data, Dumper=_NoAliasDumper, allow_unicode=True, sort_keys=False, width=100)


# --- reading and checking --------------------------------------------------------------------


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark.line)
            _walk(value, (*path, name), lines)
            lines[(*path, name)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def parse(text: str) -> tuple[Any, dict[Path, int]]:
    """Read YAML (or JSON, which YAML reads too); return the data and each field's line."""
    try:
        loader = _GuideLoader(text)  # refuses bombs (see the end of the file) and bad characters
    except yaml.YAMLError as exc:
        raise ImportRefused(
            [
                Problem(
                    1,
                    "",
                    gettext("the file is not valid YAML or JSON: %(problem)s", problem=str(exc)),
                )
            ]
        ) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "?"
        raise ImportRefused(
            [
                Problem(
                    line,
                    "",
                    gettext("the file is not valid YAML or JSON: %(problem)s", problem=problem),
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise ImportRefused(
            [
                Problem(
                    1,
                    "",
                    gettext("the file is not valid YAML or JSON: %(problem)s", problem=str(exc)),
                )
            ]
        ) from None
    finally:
        loader.dispose()
    lines: dict[Path, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


class _Checker:
    """Walk the parsed file, noting every problem with its line and field."""

    def __init__(self, lines: dict[Path, int]) -> None:
        self.lines = lines
        self.problems: list[Problem] = []

    def problem(self, path: Path, message: str) -> None:
        where = path
        while where and where not in self.lines:
            where = where[:-1]
        name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        self.problems.append(Problem(self.lines.get(where, 1), name, message))

    def mapping(
        self, value: Any, path: Path, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> bool:
        if not isinstance(value, dict):
            self.problem(path, gettext("must be a mapping (name: value)"))
            return False
        for key in value:
            if key not in allowed:
                self.problem((*path, str(key)), gettext("unknown field"))
        for key in required:
            if key not in value:
                self.problem((*path, key), gettext("is required"))
        return True

    def sequence(self, value: Any, path: Path) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, gettext("must be a list"))
            return []
        return value

    def text(self, value: Any, path: Path, required: bool = False) -> None:
        if value is None and not required:
            return
        if not isinstance(value, str) or (required and not value.strip()):
            self.problem(
                path, gettext("is required") if required and not value else gettext("must be text")
            )

    def whole(self, value: Any, path: Path, empty_ok: bool = False) -> None:
        if value is None and empty_ok:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(path, gettext("must be a whole number (0 or more)"))

    def flag(self, value: Any, path: Path, empty_ok: bool = False) -> None:
        if value is None and empty_ok:
            return
        if not isinstance(value, bool):
            self.problem(path, gettext("must be true or false"))

    def slug(self, value: Any, path: Path, seen: set[str]) -> None:
        if not isinstance(value, str) or not SLUG.fullmatch(value) or len(value) > 60:
            self.problem(path, gettext("must be lower-case letters, digits and hyphens"))
        elif value in seen:
            self.problem(path, gettext("appears twice"))
        else:
            seen.add(value)


def check(data: Any, lines: dict[Path, int]) -> list[Problem]:
    """Return every problem of a parsed guide file (empty: it can be imported)."""
    c = _Checker(lines)
    if not c.mapping(data, (), ("guide", "categories", "services"), ("guide", "services")):
        return c.problems
    if "guide" in data and data["guide"] != FORMAT:
        c.problem(("guide",), gettext("not a guide file of this format (guide: 1 expected)"))
    categories = {cat.slug for cat in editing.all_categories()}
    seen: set[str] = set()
    for i, cat in enumerate(c.sequence(data.get("categories"), ("categories",))):
        path: Path = ("categories", i)
        if not c.mapping(cat, path, ("slug", "position", "names"), ("slug", "names")):
            continue
        c.slug(cat.get("slug"), (*path, "slug"), seen)
        c.whole(cat.get("position", 0), (*path, "position"))
        names = cat.get("names")
        if c.mapping(names, (*path, "names"), CODES):
            for code, name in names.items():
                c.text(name, (*path, "names", code), required=True)
    categories |= seen
    slugs: set[str] = set()
    for i, service in enumerate(c.sequence(data.get("services"), ("services",))):
        path = ("services", i)
        if not c.mapping(service, path, ("slug", "facts", "texts"), ("slug", "facts")):
            continue
        c.slug(service.get("slug"), (*path, "slug"), slugs)
        _check_facts(c, service.get("facts"), (*path, "facts"), categories)
        texts = service.get("texts") or {}
        if c.mapping(texts, (*path, "texts"), CODES):
            for code, text in texts.items():
                _check_text(c, text, (*path, "texts", code))
    return sorted(c.problems, key=lambda p: p.line)


def _check_facts(c: _Checker, facts: Any, path: Path, categories: set[str]) -> None:
    if not c.mapping(facts, path, FACT_FIELDS, ("category",)):
        return
    category = facts.get("category")
    if "category" in facts and not isinstance(category, str):
        c.problem((*path, "category"), gettext("must be text"))
    elif isinstance(category, str) and category not in categories:
        c.problem((*path, "category"), gettext("unknown category"))
    c.whole(facts.get("position", 0), (*path, "position"))
    for name in ("published", "verified"):
        c.flag(facts.get(name, False), (*path, name))
    for name in ("appointment_required", "presence_required"):
        c.flag(facts.get(name), (*path, name), empty_ok=True)
    c.text(facts.get("source_url"), (*path, "source_url"))
    source = facts.get("source_language")
    if source is not None and source not in CODES:
        c.problem((*path, "source_language"), gettext("unknown language"))
    c.whole(facts.get("delay_days"), (*path, "delay_days"), empty_ok=True)
    kinds: set[str] = set()
    for j, fee in enumerate(c.sequence(facts.get("fees"), (*path, "fees"))):
        where: Path = (*path, "fees", j)
        if not c.mapping(fee, where, ("kind", "amount_dh", "checked_on"), ("kind", "amount_dh")):
            continue
        if "kind" in fee:
            c.text(fee["kind"], (*where, "kind"), required=True)
        if fee.get("kind") in kinds:
            c.problem((*where, "kind"), gettext("appears twice"))
        kinds.add(str(fee.get("kind")))
        c.whole(fee.get("amount_dh"), (*where, "amount_dh"))
        checked = fee.get("checked_on")
        if checked is not None and not isinstance(checked, date):
            try:
                date.fromisoformat(str(checked))
            except ValueError:
                c.problem((*where, "checked_on"), gettext("must be a date (YYYY-MM-DD)"))


def _check_text(c: _Checker, text: Any, path: Path) -> None:
    if not c.mapping(text, path, (*INFO_FIELDS, *TEXT_FIELDS), ("title", "summary")):
        return
    for name in ("title", "summary"):
        if name in text:  # a missing one is already reported
            c.text(text[name], (*path, name), required=True)
    for name in ("eligibility", "fee_text", "delay_text", "where_to_apply"):
        c.text(text.get(name), (*path, name))
    for j, item in enumerate(c.sequence(text.get("documents"), (*path, "documents"))):
        where: Path = (*path, "documents", j)
        if c.mapping(item, where, ("text", "when"), ("text",)) and "text" in item:
            c.text(item["text"], (*where, "text"), required=True)
            c.text(item.get("when"), (*where, "when"))
    for name in ("keywords", "synonyms", "examples"):
        for j, term in enumerate(c.sequence(text.get(name), (*path, name))):
            c.text(term, (*path, name, j), required=True)


# --- import ----------------------------------------------------------------------------------


def import_guide(text: str, author: Author, publish: bool = False) -> Summary:
    """Check the whole file, then write what differs as drafts (or published); refuse it all on a problem."""
    data, lines = parse(text)
    problems = check(data, lines)
    problems = sorted(problems + _unsafe_values(data, lines), key=lambda p: p.line)
    if problems:
        raise ImportRefused(problems[:MAX_PROBLEMS])
    summary = Summary()
    try:
        for cat in data.get("categories") or []:
            summary.categories += _import_category(cat, author)
        for entry in data.get("services") or []:
            _import_service(entry, author, publish, summary)
    except EditRefused as refused:
        raise ImportRefused([Problem(1, "", refused.message)]) from None
    return summary


def _import_category(data: dict[str, Any], author: Author) -> int:
    category = db.session.scalar(sa.select(Category).where(Category.slug == data["slug"]))
    before: dict[str, Any] = {}
    if category is None:
        category = Category(slug=data["slug"], position=data.get("position", 0))
        db.session.add(category)
    else:
        before = {
            "position": category.position,
            "names": {n.language: n.name for n in category.names},
        }
    after = {
        "position": data.get("position", 0),
        "names": {**before.get("names", {}), **{k: v.strip() for k, v in data["names"].items()}},
    }
    if before == after:
        return 0
    if category.position != after["position"]:
        category.position = after["position"]
    names = {n.language: n for n in category.names}
    for code, name in after["names"].items():
        if code not in names:
            category.names.append(CategoryName(language=code, name=name))
        elif names[code].name != name:
            names[code].name = name
    db.session.flush()
    old, new = audit.changes(before, after)
    audit.record(
        "guide.category",
        "guide_category",
        category.id,
        old or None,
        new,
        author.user,
        author.email or None,
    )
    return 1


def _import_service(data: dict[str, Any], author: Author, publish: bool, summary: Summary) -> None:
    facts = {**data["facts"]}
    for fee in facts.get("fees") or []:
        if isinstance(fee.get("checked_on"), date):
            fee["checked_on"] = fee["checked_on"].isoformat()
    service = editing.service_by_slug(data["slug"])
    if service is None:
        service = editing.create_service(data["slug"], facts["category"], author)
        summary.services_added += 1
    _save(
        lambda: editing.save_facts(service, facts, author),
        lambda: editing.open_facts_draft(service) is not None,
        lambda: editing.publish_facts(service, author),
        publish,
        summary,
    )
    texts = data.get("texts") or {}
    source = editing.source_language(service)
    for code in sorted(texts, key=lambda code: code != source):  # the source language first
        values = {k: v for k, v in texts[code].items() if k in TEXT_FIELDS}
        _save(
            partial(editing.save_text, service, code, values, author),
            partial(editing.open_draft, service, code),
            partial(editing.publish_text, service, code, author),
            publish,
            summary,
        )


def _save(
    save: Callable[[], Any],
    pending: Callable[[], object],
    release: Callable[[], Any],
    publish: bool,
    summary: Summary,
) -> None:
    """Save what differs as a draft; with `publish`, publish it (or a draft the file equals)."""
    if save() is not None:
        summary.drafts += 1
    elif not (publish and pending()):
        return
    if publish:
        release()
        summary.published += 1


# --- a file's size and shape, refused before it can take a worker down ------------------------
# A 391-byte YAML file of nested aliases ("billion laughs") grows to gigabytes once built, and
# `[[[...` a thousand deep exhausts Python's stack. The guide needs neither anchors nor aliases,
# nests 8 levels deep and has some 9,000 values (200 KB) in its export: the limits leave room.

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 20
MAX_NODES = 100_000


class _NoAliasDumper(yaml.SafeDumper):
    """A safe dumper that writes a value met twice in full twice, as the import wants it."""

    def ignore_aliases(self, data: Any) -> bool:
        """Never write an anchor and an alias."""
        return True


class _GuideLoader(yaml.SafeLoader):
    """A safe loader that refuses anchors and aliases, and caps the depth and number of values."""

    def __init__(self, stream: str) -> None:
        """Refuse a file too large to read, then read it as SafeLoader does."""
        if len(stream) > MAX_FILE_BYTES or len(stream.encode("utf-8")) > MAX_FILE_BYTES:
            raise ImportRefused(
                [
                    Problem(
                        1,
                        "",
                        gettext(
                            "the file is larger than %(size)s MB",
                            size=MAX_FILE_BYTES // (1024 * 1024),
                        ),
                    )
                ]
            )
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Build one value of the file, refusing an alias, an anchor, or one value too many."""
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark else 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ImportRefused(
                [
                    Problem(
                        line,
                        "",
                        gettext(
                            "anchors and aliases (& and *) are not accepted: write each value in full"
                        ),
                    )
                ]
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise ImportRefused(
                [
                    Problem(
                        line,
                        "",
                        gettext("the file holds more than %(count)s values", count=MAX_NODES),
                    )
                ]
            )
        if self._depth >= MAX_DEPTH:
            raise ImportRefused(
                [
                    Problem(
                        line,
                        "",
                        gettext(
                            "the file nests values more than %(depth)s levels deep", depth=MAX_DEPTH
                        ),
                    )
                ]
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _unsafe_values(data: Any, lines: dict[Path, int]) -> list[Problem]:
    """Return a problem for each text holding a control character and each link not http(s)."""
    c = _Checker(lines)
    stack: list[tuple[Path, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(((*path, str(key)), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend(((*path, index), item) for index, item in enumerate(value))
        elif isinstance(value, str):
            character = unsafe_character(value, multiline=True)
            if character is not None:
                c.problem(
                    path,
                    gettext(
                        "contains an invisible control character (%(code)s)",
                        code=f"U+{ord(character):04X}",
                    ),
                )
            elif path[-2:] == ("facts", "source_url") and value and not is_web_link(value):
                c.problem(path, gettext("must be a web address starting with http:// or https://"))
    return c.problems
