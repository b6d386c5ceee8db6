"""outbox rows are jobs: attempts, claims, Twilio's delivery reports, resends

Every outgoing SMS and call is now sent by a worker from its outbox row: the row keeps how
many attempts were made, the token of the attempt that claimed it (so two workers never send
one row), when the next attempt is due, what Twilio last reported (status and error code),
the URL an outbound call fetches, and which failed row a supervisor's resend replaces.

Revision ID: e5a7c3d91b42
Revises: d4e27a9b1c63
Create Date: 2026-12-05 16:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a7c3d91b42'
down_revision = 'd4e27a9b1c63'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('provider_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('error_code', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('resent_from_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbound_messages_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_messages_resent_from_id'), ['resent_from_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_messages_resent_from_id'))
        batch_op.drop_index(batch_op.f('ix_outbound_messages_status'))
        batch_op.drop_column('resent_from_id')
        batch_op.drop_column('url')
        batch_op.drop_column('error_code')
        batch_op.drop_column('provider_status')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('attempts')
