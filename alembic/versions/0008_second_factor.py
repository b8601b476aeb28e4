"""second factor: authenticator apps (TOTP), recovery codes, sign-in challenges, firm policy

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs. Firms that exist before this revision start with the policy off, so
    # an upgrade locks nobody out; new firms get the model's defaults (admins and staff on).
    for column in ("totp_secret", "totp_pending"):
        op.add_column(
            "user_account",
            sa.Column(column, sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        )
    op.add_column(
        "user_account",
        sa.Column("totp_enabled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.add_column("user_account", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    for column in ("mfa_admins", "mfa_staff", "mfa_bookkeepers"):
        op.add_column(
            "firm", sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false())
        )

    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sign_in_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    with op.batch_alter_table("sign_in_challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_challenge_user_id"), ["user_id"], unique=False)

    op.create_table(
        "factor_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("factor_failure", schema=None) as batch_op:
        batch_op.create_index("ix_factor_failure_user_at", ["user_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("factor_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_factor_failure_user_at")
    op.drop_table("factor_failure")
    with op.batch_alter_table("sign_in_challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_challenge_user_id"))
    op.drop_table("sign_in_challenge")
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_user_id"))
    op.drop_table("recovery_code")
    with op.batch_alter_table("firm", schema=None) as batch_op:
        batch_op.drop_column("mfa_bookkeepers")
        batch_op.drop_column("mfa_staff")
        batch_op.drop_column("mfa_admins")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_pending")
        batch_op.drop_column("totp_secret")
