"""A guide file is imported whole or refused whole, with the line and field of each problem."""

from __future__ import annotations

import sqlalchemy as sa
from helpers import row_counts

from centre.extensions import db
from knowledge import editing
from knowledge.models import Category
from staff.models import AuditEntry

GOOD = """\
guide: 1
categories:
  - slug: civil
    position: 4
    names: {fr: "État civil", en: "Civil status"}
services:
  - slug: birth
    facts:
      category: civil
      position: 1
      published: true
      verified: false
      delay_days: 10
      fees:
        - {kind: standard, amount_dh: 100, checked_on: 2026-12-01}
    texts:
      fr: {title: Naissance, summary: "Déclarer une naissance."}
"""

BROKEN = """\
guide: 2
categories:
  - slug: Civil Status
    position: -1
    names: {fr: "", xx: "Nom"}
  - just a string
  - slug: civil
    names: [fr]
services:
  - slug: birth
    facts:
      category: nowhere
      position: many
      published: "yes"
      appointment_required: 1
      source_url: 12
      source_language: pt
      delay_days: -3
      fees:
        - {kind: standard, amount_dh: 100, checked_on: "first of May"}
        - {kind: standard, amount_dh: 5}
        - {amount_dh: 5}
        - not a fee
    texts:
      fr:
        title: ""
        eligibility: [a, list]
        documents:
          - {text: Passeport, when: 7}
          - {when: always}
          - plain
        keywords: ["", naissance]
      en: not a mapping
  - slug: birth
    facts:
      category: 7
      fees: {kind: standard}
    texts: [fr]
  - "no service"
  - slug: death
    facts: nothing
    colour: blue
"""

EXPECTED = [
    "line 1, guide: not a guide file of this format (guide: 1 expected)",
    "line 3, categories[0].slug: must be lower-case letters, digits and hyphens",
    "line 4, categories[0].position: must be a whole number (0 or more)",
    "line 5, categories[0].names.xx: unknown field",
    "line 5, categories[0].names.fr: is required",
    "line 6, categories[1]: must be a mapping (name: value)",
    "line 8, categories[2].names: must be a mapping (name: value)",
    "line 12, services[0].facts.category: unknown category",
    "line 13, services[0].facts.position: must be a whole number (0 or more)",
    "line 14, services[0].facts.published: must be true or false",
    "line 15, services[0].facts.appointment_required: must be true or false",
    "line 16, services[0].facts.source_url: must be text",
    "line 17, services[0].facts.source_language: unknown language",
    "line 18, services[0].facts.delay_days: must be a whole number (0 or more)",
    "line 20, services[0].facts.fees[0].checked_on: must be a date (YYYY-MM-DD)",
    "line 21, services[0].facts.fees[1].kind: appears twice",
    "line 22, services[0].facts.fees[2].kind: is required",
    "line 23, services[0].facts.fees[3]: must be a mapping (name: value)",
    "line 25, services[0].texts.fr.summary: is required",
    "line 26, services[0].texts.fr.title: is required",
    "line 27, services[0].texts.fr.eligibility: must be text",
    "line 29, services[0].texts.fr.documents[0].when: must be text",
    "line 30, services[0].texts.fr.documents[1].text: is required",
    "line 31, services[0].texts.fr.documents[2]: must be a mapping (name: value)",
    "line 32, services[0].texts.fr.keywords[0]: is required",
    "line 33, services[0].texts.en: must be a mapping (name: value)",
    "line 34, services[1].slug: appears twice",
    "line 36, services[1].facts.category: must be text",
    "line 37, services[1].facts.fees: must be a list",
    "line 38, services[1].texts: must be a mapping (name: value)",
    "line 39, services[2]: must be a mapping (name: value)",
    "line 41, services[3].facts: must be a mapping (name: value)",
    "line 42, services[3].colour: unknown field",
]


def import_file(runner, tmp_path, text: str, *options: str):  # type: ignore[no-untyped-def]
    """Write `text` to a file and import it with `flask guide import`."""
    path = tmp_path / "guide.yaml"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["guide", "import", *options, str(path)])


def problems(result) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the problems printed for a refused file, without the file's name."""
    return [line.split(": ", 1)[1] for line in result.output.splitlines() if ": line " in line]


def test_every_problem_of_a_file_is_named_with_its_line_and_field(app, runner, tmp_path):
    before = row_counts(app)
    result = import_file(runner, tmp_path, BROKEN)
    assert result.exit_code == 1
    assert "the file was refused; nothing was imported" in result.output
    # The first twenty problems, by line.
    assert problems(result) == EXPECTED[:20]
    assert row_counts(app) == before


def test_the_last_problems_of_a_file_are_named_too(app, runner, tmp_path):
    # The same faults without the first ones: the later problems show.
    tail = "guide: 1\ncategories:\n" + "\n" * 6 + BROKEN[BROKEN.index("services:") :]
    assert tail.splitlines()[8] == "services:"
    result = import_file(runner, tmp_path, tail)
    assert result.exit_code == 1
    assert problems(result) == EXPECTED[7:27]


def test_problems_past_the_first_twenty_show_once_the_first_are_fixed(app, runner, tmp_path):
    # The first service commented out, line for line: the others keep their lines.
    lines = BROKEN.splitlines()
    lines[9:33] = ["#"] * 24
    result = import_file(runner, tmp_path, "\n".join(lines) + "\n")
    assert result.exit_code == 1
    later = [p for p in EXPECTED if int(p.split(",")[0].split()[1]) >= 34 and "twice" not in p]
    renumbered = [
        p.replace("services[1]", "services[0]")
        .replace("services[2]", "services[1]")
        .replace("services[3]", "services[2]")
        for p in later
    ]
    assert problems(result)[-len(renumbered) :] == renumbered


def test_a_file_that_is_not_a_guide_is_refused(app, runner, tmp_path):
    for text, message in (
        ("", "line 1: must be a mapping (name: value)"),
        ("- a\n- list\n", "line 1: must be a mapping (name: value)"),
        ("categories: []\n", "line 1, guide: is required"),
        ("guide: 1\nservices: []\n\x07\n", "line 1: the file is not valid YAML or JSON: "),
        ("guide: 1\nservices: [\n", "line 3: the file is not valid YAML or JSON: "),
    ):
        result = import_file(runner, tmp_path, text)
        assert result.exit_code == 1, text
        found = problems(result)
        assert found and found[0].startswith(message), (text, found)


def test_a_good_file_adds_its_category_and_service_then_changes_only_what_differs(
    app, runner, tmp_path
):
    added = import_file(runner, tmp_path, GOOD, "--publish")
    assert added.exit_code == 0, added.output
    assert "1 service(s) added, 1 categories added or changed" in added.output
    with app.app_context():
        facts = editing.live_facts(editing.service_by_slug("birth"))
        assert facts["fees"] == [{"kind": "standard", "amount_dh": 100, "checked_on": "2026-12-01"}]
        assert facts["delay_days"] == 10 and facts["category"] == "civil"
    again = import_file(runner, tmp_path, GOOD, "--publish")
    assert "0 service(s) added, 0 categories added or changed" in again.output
    renamed = GOOD.replace("position: 4", "position: 2").replace(
        '"Civil status"', '"Civil registry"'
    )
    renamed = renamed.replace('en: "Civil registry"}', 'en: "Civil registry", de: "Personenstand"}')
    changed = import_file(runner, tmp_path, renamed)
    assert changed.exit_code == 0, changed.output
    assert "1 categories added or changed" in changed.output
    with app.app_context():
        category = db.session.scalar(sa.select(Category).where(Category.slug == "civil"))
        names = {n.language: n.name for n in category.names}
        assert category.position == 2
        assert names == {"fr": "État civil", "en": "Civil registry", "de": "Personenstand"}
        entry = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "guide.category")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry.before == {"position": 4, "names": {"fr": "État civil", "en": "Civil status"}}
        assert entry.after["position"] == 2 and entry.after["names"]["de"] == "Personenstand"


def test_a_refusal_found_only_while_saving_still_refuses_the_whole_file(app, runner, tmp_path):
    # A fee kind over the 30 characters a kind may hold is refused, never cut (cutting these two
    # would have made them one kind), and nothing of the file is saved.
    long = "a" * 30
    text = GOOD.replace(
        "- {kind: standard, amount_dh: 100, checked_on: 2026-12-01}",
        f"- {{kind: {long}x, amount_dh: 1}}\n        - {{kind: {long}y, amount_dh: 2}}",
    )
    before = row_counts(app)
    result = import_file(runner, tmp_path, text)
    assert result.exit_code == 1
    assert problems(result) == [
        "line 1: Fees in dirhams: Too long: 31 characters where at most 30 are kept."
        " Nothing was saved: shorten it, then save again."
    ]
    assert row_counts(app) == before


def test_a_file_that_is_not_utf8_is_refused(runner, tmp_path):
    path = tmp_path / "guide.yaml"
    path.write_bytes("guide: 1\nservices: []\n# État\n".encode("latin-1"))
    result = runner.invoke(args=["guide", "import", str(path)])
    assert result.exit_code == 1 and "is not UTF-8 text" in result.output
