"""access ledger: every grant and loss of a bookkeeper's access to a client, and why

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the ledger says of the access that already held when it was opened.
OPENING_CAUSE = "ledger.opened"


def upgrade() -> None:
    op.create_table(
        "access_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("filing_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("cause", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.ForeignKeyConstraint(["filing_id"], ["filing.id"]),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("access_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_access_change_firm_client_at", ["firm_id", "client_id", "at"], unique=False
        )
        batch_op.create_index(
            "ix_access_change_firm_user_at", ["firm_id", "user_id", "at"], unique=False
        )
    _open_the_ledger()


def _open_the_ledger() -> None:
    """A firm that already has bookkeepers at work starts its ledger with the access that
    holds now, one "granted" row per path, so that replaying the ledger gives the rule's
    answer from the first day. This is the rule of portal/services/scope.py as it stood at
    this revision, frozen here on purpose: a migration must not change with later code."""
    firm = sa.table(
        "firm",
        sa.column("id", sa.Integer),
        sa.column("filing_steps_enabled", sa.Boolean),
        sa.column("portal_enabled", sa.Boolean),
    )
    user = sa.table(
        "user_account",
        sa.column("id", sa.Integer),
        sa.column("firm_id", sa.Integer),
        sa.column("role", sa.String),
        sa.column("is_active", sa.Boolean),
    )
    step = sa.table(
        "step",
        sa.column("id", sa.Integer),
        sa.column("filing_id", sa.Integer),
        sa.column("assignee_id", sa.Integer),
    )
    filing = sa.table(
        "filing",
        sa.column("id", sa.Integer),
        sa.column("firm_id", sa.Integer),
        sa.column("client_id", sa.Integer),
        sa.column("status", sa.String),
    )
    ledger = sa.table(
        "access_change",
        *(
            sa.column(name)
            for name in (
                "firm_id",
                "user_id",
                "client_id",
                "step_id",
                "filing_id",
                "change",
                "cause",
                "at",
            )
        ),
    )
    paths = (
        sa.select(
            user.c.firm_id,
            user.c.id,
            filing.c.client_id,
            step.c.id,
            filing.c.id,
            sa.literal("granted"),
            sa.literal(OPENING_CAUSE),
            sa.literal(datetime.now(UTC), sqlmodel.sql.sqltypes.UTCDateTime()),
        )
        .select_from(user)
        .join(firm, firm.c.id == user.c.firm_id)
        .join(step, step.c.assignee_id == user.c.id)
        .join(filing, filing.c.id == step.c.filing_id)
        .where(
            user.c.role == "bookkeeper",
            user.c.is_active.is_(True),
            firm.c.filing_steps_enabled.is_(True),
            firm.c.portal_enabled.is_(True),
            filing.c.firm_id == user.c.firm_id,
            filing.c.status.in_(("open", "in_review")),
        )
        .order_by(user.c.firm_id, filing.c.client_id, user.c.id, step.c.id)
    )
    op.get_bind().execute(
        ledger.insert().from_select(
            ["firm_id", "user_id", "client_id", "step_id", "filing_id", "change", "cause", "at"],
            paths,
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("access_change", schema=None) as batch_op:
        batch_op.drop_index("ix_access_change_firm_user_at")
        batch_op.drop_index("ix_access_change_firm_client_at")
    op.drop_table("access_change")
