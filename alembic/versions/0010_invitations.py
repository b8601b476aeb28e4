"""invitations and password-reset links; forgot-password requests; invited logins

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("account_link", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_link_user_kind", ["user_id", "kind", "used_at", "revoked_at"]
        )

    op.create_table(
        "reset_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reset_request", schema=None) as batch_op:
        batch_op.create_index("ix_reset_request_email_at", ["email", "at"])
        batch_op.create_index("ix_reset_request_ip_at", ["ip", "at"])
        batch_op.create_index("ix_reset_request_outcome_at", ["outcome", "at"])

    # Plain ADD COLUMNs: every existing login stays as it is ("Active" or "Deactivated").
    op.add_column(
        "user_account", sa.Column("invited_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
    )
    op.add_column(
        "user_account",
        sa.Column("activated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    with op.batch_alter_table("mail_queue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_mail_queue_link_id", "account_link", ["link_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("mail_queue", schema=None) as batch_op:
        batch_op.drop_constraint("fk_mail_queue_link_id", type_="foreignkey")
        batch_op.drop_column("link_id")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("activated_at")
        batch_op.drop_column("invited_at")
    with op.batch_alter_table("reset_request", schema=None) as batch_op:
        batch_op.drop_index("ix_reset_request_outcome_at")
        batch_op.drop_index("ix_reset_request_ip_at")
        batch_op.drop_index("ix_reset_request_email_at")
    op.drop_table("reset_request")
    with op.batch_alter_table("account_link", schema=None) as batch_op:
        batch_op.drop_index("ix_account_link_user_kind")
    op.drop_table("account_link")
