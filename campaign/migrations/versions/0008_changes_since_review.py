"""A published event's title and description as an admin vouched for them, and when an
organiser last changed them since.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 07:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_title", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("reviewed_description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("changed_since_review_at", sa.DateTime(), nullable=True))
    # Events published before this migration: their current text is what was vouched for.
    event = sa.table(
        "event",
        sa.column("title", sa.String),
        sa.column("description", sa.Text),
        sa.column("published_at", sa.DateTime),
        sa.column("reviewed_title", sa.String),
        sa.column("reviewed_description", sa.Text),
    )
    op.execute(
        event.update()
        .where(event.c.published_at.is_not(None))
        .values(reviewed_title=event.c.title, reviewed_description=event.c.description)
    )


def downgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("changed_since_review_at")
        batch_op.drop_column("reviewed_description")
        batch_op.drop_column("reviewed_title")
