"""Campaign feed revision (the feed's ETag) and when each group last changed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 03:25:41.243670

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows get a value from the server default; the app always writes its own.
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("feed_revision", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "feed_changed_at",
                sa.DateTime(),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )

    with op.batch_alter_table("volunteer_group", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "changed_at",
                sa.DateTime(),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )
        batch_op.add_column(
            sa.Column("revision", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("volunteer_group", schema=None) as batch_op:
        batch_op.drop_column("revision")
        batch_op.drop_column("changed_at")

    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("feed_changed_at")
        batch_op.drop_column("feed_revision")
