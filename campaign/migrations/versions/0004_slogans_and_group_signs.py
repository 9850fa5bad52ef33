"""The slogan bank, and each group's sign seed and languages.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 03:38:54.056410

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('slogan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.Enum('identity', 'question', 'call', name='slogankind', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('approved', 'suggested', 'retired', name='sloganstatus', native_enum=False, length=16), nullable=False),
    sa.Column('theme', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('suggested_at_event_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_slogan_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['organiser.id'], name=op.f('fk_slogan_reviewed_by_id_organiser')),
    sa.ForeignKeyConstraint(['suggested_at_event_id'], ['event.id'], name=op.f('fk_slogan_suggested_at_event_id_event'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slogan'))
    )
    with op.batch_alter_table('slogan', schema=None) as batch_op:
        batch_op.create_index('ix_slogan_campaign_status', ['campaign_id', 'status'], unique=False)

    with op.batch_alter_table('volunteer_group', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_seed', sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('sign_language', sa.String(length=16), nullable=False, server_default=""))
        batch_op.add_column(sa.Column('sign_second_language', sa.String(length=16), nullable=False, server_default=""))
    # Existing groups: different seeds, so neighbouring groups hold different sets.
    op.execute("UPDATE volunteer_group SET sign_seed = (id * 2654435761) % 2147483647")



def downgrade():
    with op.batch_alter_table('volunteer_group', schema=None) as batch_op:
        batch_op.drop_column('sign_second_language')
        batch_op.drop_column('sign_language')
        batch_op.drop_column('sign_seed')

    with op.batch_alter_table('slogan', schema=None) as batch_op:
        batch_op.drop_index('ix_slogan_campaign_status')

    op.drop_table('slogan')
