"""filing templates and their steps; recurring filings; the firm's recurring setting

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "filing_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"]),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("filing_template", schema=None) as batch_op:
        batch_op.create_index(
            "ix_filing_template_firm_archived_name", ["firm_id", "archived", "name"]
        )

    op.create_table(
        "template_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column("checklist", sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("due_offset_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["assignee_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"]),
        sa.ForeignKeyConstraint(["template_id"], ["filing_template.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("template_step", schema=None) as batch_op:
        batch_op.create_index("ix_template_step_template_position", ["template_id", "position"])

    # Existing filings stay one-off; existing firms make the next filing when one is filed.
    with op.batch_alter_table("filing", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "recurrence",
                sqlmodel.sql.sqltypes.AutoString(length=12),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("template_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("previous_filing_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_filing_template_id", "filing_template", ["template_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_filing_previous_filing_id", "filing", ["previous_filing_id"], ["id"]
        )
        batch_op.create_index(
            "ix_filing_firm_recurrence_due", ["firm_id", "recurrence", "due_date"]
        )
        batch_op.create_index("ux_filing_previous", ["previous_filing_id"], unique=True)
        batch_op.create_index("ix_filing_template", ["template_id"])
    with op.batch_alter_table("firm", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "recurring_on",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="filed",
            )
        )
        batch_op.add_column(
            sa.Column(
                "recurring_days_before", sa.Integer(), nullable=False, server_default="30"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("firm", schema=None) as batch_op:
        batch_op.drop_column("recurring_days_before")
        batch_op.drop_column("recurring_on")
    with op.batch_alter_table("filing", schema=None) as batch_op:
        batch_op.drop_index("ix_filing_template")
        batch_op.drop_index("ux_filing_previous")
        batch_op.drop_index("ix_filing_firm_recurrence_due")
        batch_op.drop_constraint("fk_filing_previous_filing_id", type_="foreignkey")
        batch_op.drop_constraint("fk_filing_template_id", type_="foreignkey")
        batch_op.drop_column("previous_filing_id")
        batch_op.drop_column("template_id")
        batch_op.drop_column("recurrence")
    with op.batch_alter_table("template_step", schema=None) as batch_op:
        batch_op.drop_index("ix_template_step_template_position")
    op.drop_table("template_step")
    with op.batch_alter_table("filing_template", schema=None) as batch_op:
        batch_op.drop_index("ix_filing_template_firm_archived_name")
    op.drop_table("filing_template")
