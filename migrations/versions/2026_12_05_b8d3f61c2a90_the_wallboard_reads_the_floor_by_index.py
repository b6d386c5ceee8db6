"""the wallboard reads the floor by index

The live floor is read every few seconds: the calls still going (a partial index holds
only those, so a year of ended calls costs nothing), the tickets past their deadline today
(by due time, among the tickets still to handle), and the callbacks agents placed or
reached today. Partial indexes are written the same way on SQLite and PostgreSQL.

Revision ID: b8d3f61c2a90
Revises: 5c2d90e1a7f3
Create Date: 2026-12-05 11:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d3f61c2a90'
down_revision = 'b8e3f1c2d4a6'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('new', 'open', 'waiting')"


def upgrade():
    op.create_index('ix_calls_going', 'calls', ['started_at'],
                    postgresql_where=sa.text('ended_at IS NULL'),
                    sqlite_where=sa.text('ended_at IS NULL'))
    op.create_index('ix_tickets_due_active', 'tickets', ['due_at'],
                    postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))
    op.create_index('ix_callback_attempts_requested_at', 'callback_attempts', ['requested_at'])
    op.create_index('ix_callback_attempts_outcome_at', 'callback_attempts', ['outcome_at'])


def downgrade():
    op.drop_index('ix_callback_attempts_outcome_at', table_name='callback_attempts')
    op.drop_index('ix_callback_attempts_requested_at', table_name='callback_attempts')
    op.drop_index('ix_tickets_due_active', table_name='tickets')
    op.drop_index('ix_calls_going', table_name='calls')
