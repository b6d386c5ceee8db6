"""What staff typed is never lost to a lapsed session.

A form posted after its author's session lapsed (idle too long) is kept here, keyed by the
author and the form's action, instead of being dropped on the way to the login page. After
logging in again they land on the page the form was on, and that page takes the form back
(`take`) to show it filled in as they left it: nothing is saved behind their back, and the
version the form was loaded from travels with it, so a change made meanwhile by someone
else is still shown as a conflict. Kept forms live an hour at most.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from centre.clock import now, to_storage
from centre.extensions import db
from staff.models import KeptForm, StaffUser

KEEP_FOR = timedelta(hours=1)
LEFT_OUT = ("csrf_token",)


def _forget_old() -> None:
    cutoff = to_storage(now() - KEEP_FOR)
    db.session.execute(sa.delete(KeptForm).where(KeptForm.created_at < cutoff))


def keep(user_id: int, action: str, page: str, form: MultiDict[str, str]) -> None:
    """Keep the form `user_id` posted to `action` from `page`, replacing an older one."""
    _forget_old()
    db.session.execute(
        sa.delete(KeptForm).where(KeptForm.user_id == user_id, KeptForm.action == action)
    )
    fields = {name: form.getlist(name) for name in form if name not in LEFT_OUT}
    db.session.add(
        KeptForm(
            user_id=user_id,
            action=action[:300],
            page=page[:300],
            fields=fields,
            created_at=to_storage(now()),
        )
    )


def take(user: StaffUser, action: str) -> MultiDict[str, str] | None:
    """Return (and forget) the form `user` posted to `action` when their session lapsed."""
    # Only reads, as every page view asks: old forms are forgotten when another is kept.
    kept = db.session.scalar(
        sa.select(KeptForm)
        .where(
            KeptForm.user_id == user.id,
            KeptForm.action == action[:300],
            KeptForm.created_at >= to_storage(now() - KEEP_FOR),
        )
        .order_by(KeptForm.id.desc())
        .limit(1)
    )
    if kept is None:
        return None
    db.session.delete(kept)
    return MultiDict([(name, value) for name, values in kept.fields.items() for value in values])
