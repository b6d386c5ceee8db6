"""one call, one ticket, one story: a ticket's requests in order, each call step's story

A call opens at most one ticket; what the caller asks next in the same call is added to the
ticket's `requests`, in order. Each step of a call keeps what the agent's story tells of it
(the words recognised, the guide answer heard or texted, the notices heard) in `detail`.
A callback keeps whether the caller asked for a reminder by text, and whether it went.

Revision ID: story01a4c2e7
Revises: answer02b3d4
Create Date: 2026-12-06 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'story01a4c2e7'
down_revision = 'answer02b3d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requests', sa.JSON(none_as_null=True), nullable=True))
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detail', sa.JSON(none_as_null=True), nullable=True))
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.drop_column('reminder')
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.drop_column('detail')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('requests')
