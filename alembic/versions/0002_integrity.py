"""integrity: submissions handled once, who changed a record last, client duplicate keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _name_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name or "").casefold().split())[:200]


def _bn_key(number: str) -> str:
    return "".join(ch for ch in (number or "").upper() if ch.isalnum())[:40]


def upgrade() -> None:
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submission_user_created", ["user_id", "created_at"], unique=False
        )

    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "name_key",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "bn_key",
                sqlmodel.sql.sqltypes.AutoString(length=40),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("updated_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_client_updated_by", "user_account", ["updated_by_id"], ["id"]
        )
        batch_op.create_index("ix_client_firm_name_key", ["firm_id", "name_key"], unique=False)
        batch_op.create_index("ix_client_firm_bn_key", ["firm_id", "bn_key"], unique=False)

    for table in ("filing", "step"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("updated_by_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                f"fk_{table}_updated_by", "user_account", ["updated_by_id"], ["id"]
            )

    with op.batch_alter_table("firm", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sqlmodel.sql.sqltypes.UTCDateTime(),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )
        batch_op.add_column(sa.Column("updated_by_id", sa.Integer(), nullable=True))

    connection = op.get_bind()
    client = sa.table(
        "client",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("business_number", sa.String),
        sa.column("name_key", sa.String),
        sa.column("bn_key", sa.String),
    )
    rows = connection.execute(
        sa.select(client.c.id, client.c.name, client.c.business_number)
    ).all()
    for row in rows:
        connection.execute(
            client.update()
            .where(client.c.id == row.id)
            .values(name_key=_name_key(row.name), bn_key=_bn_key(row.business_number))
        )

    # The defaults served only to fill existing rows; the app always writes these columns.
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.alter_column("name_key", server_default=None)
        batch_op.alter_column("bn_key", server_default=None)
    with op.batch_alter_table("firm", schema=None) as batch_op:
        batch_op.alter_column("updated_at", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("firm", schema=None) as batch_op:
        batch_op.drop_column("updated_by_id")
        batch_op.drop_column("updated_at")
    for table in ("step", "filing"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_updated_by", type_="foreignkey")
            batch_op.drop_column("updated_by_id")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index("ix_client_firm_bn_key")
        batch_op.drop_index("ix_client_firm_name_key")
        batch_op.drop_constraint("fk_client_updated_by", type_="foreignkey")
        batch_op.drop_column("updated_by_id")
        batch_op.drop_column("bn_key")
        batch_op.drop_column("name_key")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_user_created")
    op.drop_table("submission")
