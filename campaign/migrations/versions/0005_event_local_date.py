"""Each event's start date in its own zone, for searches by date.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 03:56:00

"""

from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local_date", sa.Date(), nullable=True))
    event = sa.table(
        "event",
        sa.column("id", sa.Integer),
        sa.column("starts_at", sa.DateTime),
        sa.column("timezone", sa.String),
        sa.column("local_date", sa.Date),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(event.c.id, event.c.starts_at, event.c.timezone)).all()
    for row_id, starts_at, zone in rows:
        local = starts_at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()
        connection.execute(event.update().where(event.c.id == row_id).values(local_date=local))
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.alter_column("local_date", existing_type=sa.Date(), nullable=False)
        batch_op.create_index("ix_event_campaign_local_date", ["campaign_id", "local_date"])


def downgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_campaign_local_date")
        batch_op.drop_column("local_date")
