"""review and sign-off: the review stage on each filing, and each filing's timeline

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PEOPLE = ("review_by", "approved_by", "signed_off_by")


def upgrade() -> None:
    with op.batch_alter_table("filing", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "review_stage",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default=sa.text("''"),
            )
        )
        batch_op.add_column(
            sa.Column("review_version", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        for who in _PEOPLE:
            at = "review_at" if who == "review_by" else who.replace("_by", "_at")
            batch_op.add_column(sa.Column(f"{who}_id", sa.Integer(), nullable=True))
            batch_op.add_column(
                sa.Column(at, sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
            )
            batch_op.create_foreign_key(
                f"fk_filing_{who}_id", "user_account", [f"{who}_id"], ["id"]
            )

    with op.batch_alter_table("filing", schema=None) as batch_op:
        batch_op.create_index("ix_filing_reviewer_stage", ["reviewer_id", "review_stage"])
        batch_op.create_index("ix_filing_approver_stage", ["approver_id", "review_stage"])

    # Filings already "in review" wait for their reviewer (or, naming only an approver,
    # for the approver's sign-off); those naming neither can be filed directly, as before.
    op.execute(
        "UPDATE filing SET review_stage = CASE "
        "WHEN reviewer_id IS NOT NULL THEN 'awaiting_review' "
        "WHEN approver_id IS NOT NULL THEN 'approved' ELSE '' END "
        "WHERE status = 'in_review'"
    )

    op.create_table(
        "filing_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("filing_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["filing_id"], ["filing.id"]),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("filing_event", schema=None) as batch_op:
        batch_op.create_index("ix_filing_event_filing", ["filing_id", "id"])


def downgrade() -> None:
    with op.batch_alter_table("filing_event", schema=None) as batch_op:
        batch_op.drop_index("ix_filing_event_filing")
    op.drop_table("filing_event")
    with op.batch_alter_table("filing", schema=None) as batch_op:
        batch_op.drop_index("ix_filing_approver_stage")
        batch_op.drop_index("ix_filing_reviewer_stage")
        for who in reversed(_PEOPLE):
            at = "review_at" if who == "review_by" else who.replace("_by", "_at")
            batch_op.drop_constraint(f"fk_filing_{who}_id", type_="foreignkey")
            batch_op.drop_column(at)
            batch_op.drop_column(f"{who}_id")
        batch_op.drop_column("review_version")
        batch_op.drop_column("review_stage")
