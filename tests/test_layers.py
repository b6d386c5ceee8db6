"""The packages stay layered: an import only points down, and none hides in a function body.

The order is written once, here. Bottom to top: the kernel (`centre`), the domains, what
spans them, the application factory. A package may import its own layer's packages only
where the design needs it, as listed in `DOMAIN_IMPORTS`; a lower layer that must tell a
higher one something sends a signal the higher one connects to in its `init_app`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"centre"}),  # the kernel: extensions, settings, clock, languages, phones...
    frozenset({"staff", "tickets", "ivr", "cases", "knowledge"}),  # the domains
    frozenset({"desk", "reports", "operations"}),  # what spans the domains
    frozenset({"app"}),  # the application factory
)
# The domains' imports of each other, and why: none other is allowed, and none runs back.
DOMAIN_IMPORTS: dict[str, frozenset[str]] = {
    "staff": frozenset(),
    "tickets": frozenset({"staff"}),  # a ticket is assigned to a staff member
    "ivr": frozenset({"tickets"}),  # the phone menu opens tickets and books callbacks
    "knowledge": frozenset({"staff", "ivr"}),  # staff edit the guide; callers hear it by phone
    # option 2 by phone (cases, and tickets followed by their reference); a case names a service
    "cases": frozenset({"ivr", "knowledge", "tickets"}),
}
NOT_APPLICATION = {"tests", "bench", "migrations"}
RANK = {package: level for level, packages in enumerate(LAYERS) for package in packages}


@dataclass(frozen=True)
class Found:
    """One import of a project module: where it is, what it names, and whether it is local."""

    where: str
    source: str
    target: str
    local: bool

    def __str__(self) -> str:
        """Say it as a reader would look for it."""
        return f"{self.where}: {self.source} imports {self.target}"


def imports(path: Path, module: str, package: str, source: str) -> Iterator[Found]:
    """Yield every import of a project module in `source` (the file at `path`)."""
    tree = ast.parse(source)
    local = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for inner in ast.walk(node)
        if inner is not node
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the module's own package
                base = module.split(".")[: -node.level] if module.count(".") else [package]
                names = [".".join([*base, *([node.module] if node.module else [])])]
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            if name.split(".")[0] in RANK:
                yield Found(f"{path}:{node.lineno}", package, name, id(node) in local)


def application_modules() -> Iterator[tuple[Path, str, str]]:
    """Yield each application module: its path from the root, dotted name and package."""
    yield Path("app.py"), "app", "app"
    for package in sorted(RANK):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
            yield relative, module, package


def every_import() -> list[Found]:
    """Return every import of a project module in the application."""
    return [
        found
        for path, module, package in application_modules()
        for found in imports(path, module, package, (ROOT / path).read_text(encoding="utf-8"))
    ]


def breaks_the_layers(found: Found) -> bool:
    """Tell whether an import points up, or sideways where the design does not need it."""
    target = found.target.split(".")[0]
    if target == found.source:
        return False
    if RANK[target] > RANK[found.source]:
        return True
    if RANK[target] == RANK[found.source]:
        return target not in DOMAIN_IMPORTS.get(found.source, frozenset())
    return False


def test_every_application_package_has_its_place_in_the_layers():
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_APPLICATION
    }
    assert packages == set(RANK) - {"app"}
    assert set(DOMAIN_IMPORTS) == LAYERS[1]


def test_no_package_imports_a_package_above_it_or_a_domain_it_does_not_need():
    broken = [str(found) for found in every_import() if breaks_the_layers(found)]
    assert broken == []


def test_no_project_module_is_imported_inside_a_function():
    hidden = [str(found) for found in every_import() if found.local]
    assert hidden == []


def test_the_domains_imports_of_each_other_run_one_way():
    graph = {package: set() for package in RANK}
    for found in every_import():
        target = found.target.split(".")[0]
        if target != found.source:
            graph[found.source].add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(
            step == goal or (step not in seen and reaches(step, goal, seen | {step}))
            for step in graph[start]
        )

    assert [package for package in RANK if reaches(package, package, set())] == []


@pytest.mark.parametrize(
    ("package", "source", "broken", "hidden"),
    [
        ("ivr", "from reports.daily import mark_past_call\n", True, False),
        ("centre", "def f():\n    from tickets.models import Ticket\n", True, True),
        ("tickets", "import desk.views\n", True, False),
        ("knowledge", "from cases import phone\n", True, False),  # a domain it does not need
        ("cases", "from ivr.flow import Option\n", False, False),
        ("reports", "from tickets.labels import TYPE_NAMES\n", False, False),
        ("desk", "def f():\n    import staff\n", False, True),
        ("operations", "from . import running\n", False, False),
    ],
)
def test_the_check_finds_upward_sideways_and_hidden_imports(package, source, broken, hidden):
    found = list(imports(Path(f"{package}/x.py"), f"{package}.x", package, source))
    assert len(found) == 1
    assert (breaks_the_layers(found[0]), found[0].local) == (broken, hidden)
