"""revisions of the calendar and the notices, for the workers' caches

Each worker keeps the calendar and the notices it read with the token of their revision and
reads them again only when a change replaced the token. No row until the first change (the
token is then "": the tables are as the schema made them, empty).

Revision ID: perf01a7c2e9
Revises: taking01a7c2
Create Date: 2026-12-06 01:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "perf01a7c2e9"
down_revision = "taking01a7c2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "revisions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_revisions")),
    )


def downgrade():
    op.drop_table("revisions")
