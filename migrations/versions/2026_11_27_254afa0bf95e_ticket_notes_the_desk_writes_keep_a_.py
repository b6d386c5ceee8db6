"""ticket notes the desk writes keep a code and parameters

A callback's outcome and a merge were written into `ticket_notes.body` already translated
into the language of the agent who did them; a reader of another language read them in
that one. They now keep what happened (`kind` with `params`, such as {"outcome": "reached"})
and are rendered in each reader's language. Notes written before keep their text.

Revision ID: 254afa0bf95e
Revises: 7c1e2f9a4d30
Create Date: 2026-11-27 21:17:14.069256

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '254afa0bf95e'
down_revision = '7c1e2f9a4d30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))


OUTCOMES = {"reached": "Callback: caller reached.", "no_answer": "Callback: no answer.",
            "rescheduled": "Callback: rescheduled."}


def downgrade():
    """Write the notes kept as a code back as (English) text, then drop the column."""
    notes = sa.table('ticket_notes', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                     sa.column('body', sa.Text), sa.column('params', sa.JSON))
    connection = op.get_bind()
    coded = connection.execute(sa.select(notes.c.id, notes.c.kind, notes.c.params)
                               .where(notes.c.params.is_not(None))).all()
    for note_id, kind, params in coded:
        params = params or {}
        if kind == 'merge':
            body = f"Merged into this ticket: {', '.join(params.get('references', []))}."
        else:
            body = OUTCOMES.get(params.get('outcome'), str(params.get('outcome', '')))
        connection.execute(sa.update(notes).where(notes.c.id == note_id).values(body=body))
    with op.batch_alter_table('ticket_notes', schema=None) as batch_op:
        batch_op.drop_column('params')
