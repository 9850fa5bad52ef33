"""Sign-in throttling per device (the devices an organiser signed in on) and the last
accepted two-factor time step (no code works twice).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organiser_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organiser_id"],
            ["organiser.id"],
            name=op.f("fk_organiser_device_organiser_id_organiser"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organiser_device")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_organiser_device_token_hash")),
    )
    with op.batch_alter_table("organiser_device", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organiser_device_organiser_id"), ["organiser_id"], unique=False
        )
    with op.batch_alter_table("organiser", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("organiser", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
    with op.batch_alter_table("organiser_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organiser_device_organiser_id"))
    op.drop_table("organiser_device")
