"""Retention (purged events keep counts) and organiser account security (backoff, TOTP).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 04:24:16.841461

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_days', sa.Integer(), nullable=False, server_default='7'))

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('purged_groups', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('purged_volunteers', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('purged_checked_in', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('purged_home_safe', sa.Integer(), nullable=True))

    with op.batch_alter_table('organiser', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_sign_ins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('recovery_code_hashes', sa.Text(), nullable=False, server_default=''))



def downgrade():
    with op.batch_alter_table('organiser', schema=None) as batch_op:
        batch_op.drop_column('recovery_code_hashes')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_sign_ins')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('purged_home_safe')
        batch_op.drop_column('purged_checked_in')
        batch_op.drop_column('purged_volunteers')
        batch_op.drop_column('purged_groups')
        batch_op.drop_column('purged_at')

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('retention_days')

