"""the queue is ordered by due time

`tickets.queue_key` held a bucket (live escalations newest first, then callbacks, then the
rest) plus seconds; the desk's queue now puts the most urgent first: by due time, with the
tickets past their warning time ahead (decided when the page is read). The key becomes the
due time in seconds since the epoch (the opening time for a ticket without one). No column
changes: the rows are rewritten, the same way on SQLite and PostgreSQL.

Revision ID: e7a41c09d2b5
Revises: c3f9d2a8e6b4
Create Date: 2026-12-04 18:30:00

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a41c09d2b5'
down_revision = 'c3f9d2a8e6b4'
branch_labels = None
depends_on = None

TICKETS = sa.table('tickets', sa.column('id', sa.Integer), sa.column('type', sa.String),
                   sa.column('created_at', sa.DateTime), sa.column('due_at', sa.DateTime),
                   sa.column('queue_key', sa.BigInteger))
CALLBACKS = sa.table('callbacks', sa.column('ticket_id', sa.Integer),
                     sa.column('scheduled_at', sa.DateTime))
SPAN = 10**10  # the old layout's bucket width


def _seconds(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def _rewrite(key_of) -> None:
    connection = op.get_bind()
    booked = dict(connection.execute(sa.select(CALLBACKS.c.ticket_id, CALLBACKS.c.scheduled_at)).all())
    rows = connection.execute(sa.select(TICKETS.c.id, TICKETS.c.type, TICKETS.c.created_at,
                                        TICKETS.c.due_at)).all()
    for ident, kind, created, due in rows:
        connection.execute(sa.update(TICKETS).where(TICKETS.c.id == ident)
                           .values(queue_key=key_of(kind, created, due, booked.get(ident))))


def upgrade():
    _rewrite(lambda kind, created, due, scheduled: _seconds(due or created))


def downgrade():
    def old_key(kind, created, due, scheduled):
        if kind == 'escalated_call':
            return SPAN - _seconds(created)
        if kind == 'callback' and scheduled is not None:
            return SPAN + _seconds(scheduled)
        return 2 * SPAN + _seconds(due or created)

    _rewrite(old_key)
