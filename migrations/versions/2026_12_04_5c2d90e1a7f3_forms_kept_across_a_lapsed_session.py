"""forms kept across a lapsed session

A form posted after its author's session lapsed (a note typed while idle past the timeout)
was dropped on the way to the login page. It is now kept, for an hour at most, until they
log in again and the page it came from takes it back.

Revision ID: 5c2d90e1a7f3
Revises: e7a41c09d2b5
Create Date: 2026-12-04 18:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c2d90e1a7f3'
down_revision = 'e7a41c09d2b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_kept_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=300), nullable=False),
    sa.Column('page', sa.String(length=300), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_staff_kept_forms_user_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_kept_forms'))
    )
    with op.batch_alter_table('staff_kept_forms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_kept_forms_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_kept_forms_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_kept_forms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_kept_forms_user_id'))
        batch_op.drop_index(batch_op.f('ix_staff_kept_forms_created_at'))
    op.drop_table('staff_kept_forms')
