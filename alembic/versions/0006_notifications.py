"""notifications: the in-app list, the mail queue, each person's switches, the firm's time zone

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_user_read_at", ["user_id", "read_at"])
        batch_op.create_index("ix_notification_user_created", ["user_id", "created_at"])

    op.create_table(
        "mail_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("digest_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "digest_date", name="uq_mail_queue_user_digest_date"),
    )
    with op.batch_alter_table("mail_queue", schema=None) as batch_op:
        batch_op.create_index("ix_mail_queue_status_next", ["status", "next_attempt_at"])
        batch_op.create_index("ix_mail_queue_firm_status", ["firm_id", "status"])

    # Plain ADD COLUMNs (no table rebuild on SQLite): existing people keep both emails on,
    # existing firms start on UTC until an admin sets their zone.
    op.add_column(
        "user_account",
        sa.Column("email_assignments", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "user_account",
        sa.Column("email_digest", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "firm",
        sa.Column(
            "time_zone",
            sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=False,
            server_default="UTC",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("firm", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("email_digest")
        batch_op.drop_column("email_assignments")
    with op.batch_alter_table("mail_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_queue_firm_status")
        batch_op.drop_index("ix_mail_queue_status_next")
    op.drop_table("mail_queue")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_created")
        batch_op.drop_index("ix_notification_user_read_at")
    op.drop_table("notification")
