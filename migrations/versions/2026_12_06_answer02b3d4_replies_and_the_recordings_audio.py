"""canned replies; recordings keep their audio (app-held) and transcript

Supervisors keep canned SMS replies per language (reply_templates). A recording may hold
its audio in the database when the app, not Twilio, has it (development, demo data), and
the transcript Twilio's transcription delivers.

Revision ID: answer02b3d4
Revises: answer01a7c2
Create Date: 2026-12-06 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'answer02b3d4'
down_revision = 'answer01a7c2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reply_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('title', sa.String(length=80), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_templates')),
    )
    with op.batch_alter_table('reply_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reply_templates_language'), ['language'], unique=False)
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audio', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('transcript', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_column('transcript')
        batch_op.drop_column('audio')
    with op.batch_alter_table('reply_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reply_templates_language'))
    op.drop_table('reply_templates')
