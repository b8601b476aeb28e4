"""client search key: the client list is searched and paged from one index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from models.clients import search_key

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "search_key",
                sqlmodel.sql.sqltypes.AutoString(length=500),
                nullable=False,
                server_default="",
            )
        )
    # Existing clients get their key in batches, keyed by id, so a large firm never holds
    # every row in memory at once.
    bind = op.get_bind()
    client = sa.table(
        "client",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("business_number", sa.String),
        sa.column("contact_name", sa.String),
        sa.column("search_key", sa.String),
    )
    update = (
        client.update()
        .where(client.c.id == sa.bindparam("row_id"))
        .values(search_key=sa.bindparam("key"))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(client.c.id, client.c.name, client.c.business_number, client.c.contact_name)
            .where(client.c.id > last)
            .order_by(client.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            update,
            [{"row_id": r.id, "key": search_key(r.name, r.business_number, r.contact_name)} for r in rows],
        )
        last = rows[-1].id
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index("ix_client_firm_name_key")
        batch_op.create_index(
            "ix_client_firm_name_key", ["firm_id", "name_key", "id", "search_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index("ix_client_firm_name_key")
        batch_op.create_index("ix_client_firm_name_key", ["firm_id", "name_key"], unique=False)
        batch_op.drop_column("search_key")
