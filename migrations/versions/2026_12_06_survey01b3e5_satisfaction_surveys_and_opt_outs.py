"""satisfaction surveys on resolved tickets, and the numbers that opted out of them

A resolved ticket's caller is texted one survey; the ticket keeps who resolved it, where
the survey stands, the answer (1 to 5) and when it came (indexed: the wallboard and the
dashboard count the answers of a period). Numbers that replied STOP are kept by keyed hash.

Revision ID: survey01b3e5
Revises: story01a4c2e7
Create Date: 2026-12-06 00:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'survey01b3e5'
down_revision = 'story01a4c2e7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('survey_state', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('survey_sent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_tickets_satisfaction_at'), ['satisfaction_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tickets_resolved_by_id_staff_users'), 'staff_users', ['resolved_by_id'], ['id'])
    op.create_table(
        'survey_opt_outs',
        sa.Column('number_hash', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('number_hash', name=op.f('pk_survey_opt_outs')),
    )


def downgrade():
    op.drop_table('survey_opt_outs')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_resolved_by_id_staff_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tickets_satisfaction_at'))
        batch_op.drop_column('satisfaction_at')
        batch_op.drop_column('satisfaction')
        batch_op.drop_column('survey_sent_at')
        batch_op.drop_column('survey_state')
        batch_op.drop_column('resolved_by_id')
