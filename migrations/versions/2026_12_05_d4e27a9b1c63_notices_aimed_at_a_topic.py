"""notices aimed at a topic

A notice can be heard where its topic is in the call (a guide category or service, the
status of an application, the agent queue) instead of before the main menu, and an urgent
one before the main menu as well. Existing notices keep no topic: heard before the menu,
as before. Plain columns with server defaults, the same on SQLite and PostgreSQL.

Revision ID: d4e27a9b1c63
Revises: b8d3f61c2a90
Create Date: 2026-12-05 11:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e27a9b1c63'
down_revision = 'b8d3f61c2a90'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notices') as batch:
        batch.add_column(sa.Column('topic', sa.String(length=20), nullable=False, server_default=''))
        batch.add_column(sa.Column('topic_key', sa.String(length=80), nullable=False, server_default=''))
        batch.add_column(sa.Column('urgent', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('notices') as batch:
        batch.drop_column('urgent')
        batch.drop_column('topic_key')
        batch.drop_column('topic')
