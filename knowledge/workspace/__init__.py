"""The editors' workspace: edit, preview, publish, compare and restore the guide; phrases; files.

Editors and admins change the guide; supervisors may read every page. Thin: read the form,
call `knowledge.editing` / `knowledge.transfer`, answer (the request commits once).

One blueprint (`base.bp`), its pages split along the workspace's parts: `guide` (the list and
the translation status), `drafts` (what the text and facts pages share), `texts`, `facts`,
`phrases` (what callers said that the guide did not answer), `searching` and `files`. Importing
the parts here declares their routes on the blueprint.
"""

from __future__ import annotations

from knowledge.workspace import drafts, facts, files, guide, phrases, searching, texts
from knowledge.workspace.base import bp, rows_for

__all__ = ["bp", "drafts", "facts", "files", "guide", "phrases", "rows_for", "searching", "texts"]
