"""queued callers taken by an agent: who took them, when the agent was rung and answered

An agent who takes a queued caller is connected to that caller (Twilio's queue member, by
CallSid), not to the front of the language queue. The call's row keeps who took it and when
their phone was rung and answered, so a caller being taken is neither counted as waiting nor
offered to another agent, and an agent whose phone rings cannot take a second caller.

Revision ID: taking01a7c2
Revises: survey01b3e5
Create Date: 2026-12-06 00:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'taking01a7c2'
down_revision = 'survey01b3e5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('taken_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('taken_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('agent_answered_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_calls_taken_by_id'), ['taken_by_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_calls_taken_by_id_staff_users'), 'staff_users', ['taken_by_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_calls_taken_by_id_staff_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_calls_taken_by_id'))
        batch_op.drop_column('agent_answered_at')
        batch_op.drop_column('taken_at')
        batch_op.drop_column('taken_by_id')
