"""tickets keep the caller's number, to answer them

A ticket opened by phone keeps the number it came from (E.164), so the desk can call the
caller back or text them from any ticket, not only from a callback. Existing callback
tickets take their booking's number; anonymised callers' tickets stay without one.

Revision ID: answer01a7c2
Revises: e5a7c3d91b42
Create Date: 2026-12-06 00:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'answer01a7c2'
down_revision = 'e5a7c3d91b42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caller_number', sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE tickets SET caller_number = (SELECT callbacks.number FROM callbacks"
        " WHERE callbacks.ticket_id = tickets.id AND callbacks.number != '')"
        " WHERE caller_masked != 'anonymised'"
    )


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('caller_number')
