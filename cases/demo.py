"""Demo applications, so option 2 can be tried on the embedded default (see the README)."""

from __future__ import annotations

from cases.changes import apply_changes, hash_key, parse_change
from centre.check_digit import luhn_check_digit
from centre.clock import now

# (first nine digits, status, service, missing documents, expected date); born 5 March 1984.
DEMO_CASES = [
    ("100000001", "in_review", "passport", "", "2027-01-15"),
    ("100000002", "awaiting_documents", "national-id-card", "photos;proof_of_address", ""),
    ("100000003", "ready_for_collection", "passport", "", ""),
]
DEMO_BIRTH_DATE = "1984-03-05"


def demo_references() -> list[str]:
    """Return the demo cases' full references (with their check digit)."""
    return [body + luhn_check_digit(body) for body, *_ in DEMO_CASES]


def load_demo_cases() -> int:
    """Add the demo cases (idempotent: the same change twice changes nothing); return how many."""
    moment = now()
    changes = [
        parse_change(
            {
                "reference": body + luhn_check_digit(body),
                "birth_date": DEMO_BIRTH_DATE,
                "service": service,
                "status": status,
                "updated_at": "2026-11-20T10:00:00+01:00",
                "language": "fr",
                "missing_documents": missing,
                "consulate": "Paris",
                "expected_date": expected,
            },
            hash_key(),
            moment,
        )
        for body, status, service, missing, expected in DEMO_CASES
    ]
    apply_changes(changes, "demo")
    return len(changes)


def demo_lines() -> list[str]:
    """Add the demo cases; return what `flask setup --demo` prints of them."""
    count = load_demo_cases()
    references = ", ".join(demo_references())
    return [f"Demo cases: {count} (references {references}; date of birth 05031984)."]
