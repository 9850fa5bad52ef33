"""Member links of people who left or were removed, so the link can say so.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('departed_link',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('joined', 'left', 'removed', 'merged', 'leader', name='groupactivitykind', native_enum=False, length=16), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_departed_link_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_departed_link'))
    )
    with op.batch_alter_table('departed_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_departed_link_event_id'), ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('departed_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_departed_link_event_id'))
    op.drop_table('departed_link')
