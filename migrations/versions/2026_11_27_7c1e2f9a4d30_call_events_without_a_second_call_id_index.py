"""call events without a second index on call_id

The unique (call_id, step) index already serves every lookup by call; a second index on
call_id alone only cost every step of every call one more index insertion.

Revision ID: 7c1e2f9a4d30
Revises: 4b5d8bc32e1b
Create Date: 2026-11-27 18:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c1e2f9a4d30'
down_revision = '4b5d8bc32e1b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_events_call_id'))


def downgrade():
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_events_call_id'), ['call_id'], unique=False)
