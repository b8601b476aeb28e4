"""audit fold: repeated refusals add to one row's count

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        # Every row written so far stands for one event.
        batch_op.add_column(
            sa.Column("count", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(
            sa.Column("fold_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        # NULLs are distinct in a unique index on SQLite and PostgreSQL alike: only folded
        # refusals carry a key, and the upsert that folds them conflicts on it.
        batch_op.create_index("ux_audit_fold_key", ["fold_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ux_audit_fold_key")
        batch_op.drop_column("fold_key")
        batch_op.drop_column("count")
