"""audit entries count repeated refusals

A stranger's failed logins and stale forms were a row each (35 rows a second from one
client): one entry now counts the repeats of a refusal from one address.

Revision ID: c3f9d2a8e6b4
Revises: a41c7e0d5b21
Create Date: 2026-12-04 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f9d2a8e6b4'
down_revision = 'a41c7e0d5b21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurrences', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('last_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('last_at')
        batch_op.drop_column('occurrences')
