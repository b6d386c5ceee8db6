"""The editors' work on the guide: drafts, publishing, review, restore, and unmatched phrases.

A change is a draft until published; callers only hear published versions. Drafts are
work in progress: saving again updates the open draft. Published and archived versions are
never changed again: a restore writes an earlier version's text into a new draft. Every
change is written to the audit log against the service ("guide_service", its id).

Publishing the text of a service's source language (French unless the service or
GUIDE_SOURCE_LANGUAGE says otherwise) with a changed content field marks the other
languages' published texts stale; publishing facts that callers hear about (fees, delay,
appointment, presence) marks every language stale. A stale text is still what callers hear
until it is reviewed ("still correct") or a new version of it is published.

The work is split along its parts: `base` (fields, refusals, authors), `reading`,
`checking` (what editors send), `texts`, `facts`, `phrases` (unmatched ones made synonyms or
example questions) and `status` (the translation status of the whole guide). Callers use this
package's names.
"""

from __future__ import annotations

from knowledge.editing.base import (
    CONTENT_FIELDS,
    FACT_FIELDS,
    FACTS_CALLERS_HEAR,
    FIELD_NAMES,
    LIMITS,
    TARGET,
    TEXT_FIELDS,
    Author,
    EditConflict,
    EditRefused,
    FactsConflict,
)
from knowledge.editing.checking import (
    clean_text,
)
from knowledge.editing.facts import (
    clean_facts,
    create_service,
    facts_history,
    facts_revision,
    facts_values,
    latest_facts,
    live_facts,
    newest_facts,
    open_facts_draft,
    publish_facts,
    restore_facts,
    save_facts,
)
from knowledge.editing.phrases import (
    add_example,
    add_synonym,
    dismiss,
    example_of,
    phrase,
)
from knowledge.editing.reading import (
    all_categories,
    all_services,
    default_source_language,
    latest_text,
    open_draft,
    published_text,
    service_by_slug,
    source_language,
    text_values,
    version,
    versions,
)
from knowledge.editing.status import (
    Cell,
    StatusRow,
    translation_status,
)
from knowledge.editing.texts import (
    publish_text,
    restore_text,
    review_text,
    save_text,
    text_revision,
)

__all__ = [
    "Author",
    "CONTENT_FIELDS",
    "Cell",
    "EditConflict",
    "EditRefused",
    "FACTS_CALLERS_HEAR",
    "FactsConflict",
    "FACT_FIELDS",
    "FIELD_NAMES",
    "LIMITS",
    "StatusRow",
    "TARGET",
    "TEXT_FIELDS",
    "add_example",
    "add_synonym",
    "all_categories",
    "all_services",
    "clean_facts",
    "clean_text",
    "create_service",
    "default_source_language",
    "dismiss",
    "example_of",
    "facts_history",
    "facts_revision",
    "facts_values",
    "latest_facts",
    "latest_text",
    "live_facts",
    "newest_facts",
    "open_draft",
    "open_facts_draft",
    "phrase",
    "publish_facts",
    "publish_text",
    "published_text",
    "restore_facts",
    "restore_text",
    "review_text",
    "save_facts",
    "save_text",
    "service_by_slug",
    "source_language",
    "text_revision",
    "text_values",
    "translation_status",
    "version",
    "versions",
]
