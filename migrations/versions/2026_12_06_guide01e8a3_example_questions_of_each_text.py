"""example questions of each service's text, for the guide's nearest-neighbour search

Each version of a service's text in one language keeps the questions callers ask that it
answers, told their roundabout way; the search compares a caller's phrase with them. Existing
rows get none (an empty list): `flask setup` gives the seed's to texts no editor has touched.

Revision ID: guide01e8a3
Revises: perf01a7c2e9
Create Date: 2026-12-06 04:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "guide01e8a3"
down_revision = "perf01a7c2e9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("guide_service_translations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("examples", sa.JSON(), server_default="[]", nullable=False))


def downgrade():
    with op.batch_alter_table("guide_service_translations", schema=None) as batch_op:
        batch_op.drop_column("examples")
