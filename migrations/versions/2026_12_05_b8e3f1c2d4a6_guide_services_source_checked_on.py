"""guide services: the date their source page was checked

Each service of the guide names the public page its facts come from; the date that page was
last checked now travels with it, so editors and the API can tell a fresh source from an old
one.

Revision ID: b8e3f1c2d4a6
Revises: 5c2d90e1a7f3
Create Date: 2026-12-05 11:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8e3f1c2d4a6'
down_revision = '5c2d90e1a7f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('guide_services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_checked_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('guide_services', schema=None) as batch_op:
        batch_op.drop_column('source_checked_on')
