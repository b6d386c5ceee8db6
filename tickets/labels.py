"""What a ticket's type and status read as, beside the models that store their codes.

The desk's pages and the supervisors' reports both name tickets with these, in the reader's
language; keeping them here lets `reports` name them without importing a views module.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TYPE_NAMES = {
    "complaint": _l("Complaint"),
    "suggestion": _l("Suggestion"),
    "observation": _l("Observation"),
    "callback": _l("Callback"),
    "escalated_call": _l("Call for an agent"),
}
STATUS_NAMES = {
    "new": _l("New"),
    "open": _l("Open"),
    "waiting": _l("Waiting"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
}
