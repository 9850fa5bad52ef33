"""Volunteers' contacts encrypted at rest (Fernet, CONTACT_ENCRYPTION_KEYS).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 04:20:00

"""

import sqlalchemy as sa
from alembic import op

from campaign import crypto

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

membership = sa.table("membership", sa.column("id", sa.Integer), sa.column("contact", sa.Text))


def _rewrite(change) -> None:
    # Runs inside the Flask app (flask db upgrade), which holds the keys.
    connection = op.get_bind()
    rows = connection.execute(sa.select(membership.c.id, membership.c.contact)).all()
    for row_id, contact in rows:
        connection.execute(
            membership.update().where(membership.c.id == row_id).values(contact=change(contact))
        )


def upgrade():
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.alter_column(
            "contact", existing_type=sa.String(length=254), type_=sa.Text(), existing_nullable=False
        )
    _rewrite(crypto.encrypt)


def downgrade():
    _rewrite(crypto.decrypt)
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.alter_column(
            "contact", existing_type=sa.Text(), type_=sa.String(length=254), existing_nullable=False
        )
