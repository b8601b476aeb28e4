"""access ledger: append-only in the database, and each row keeps its step's title

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The message a refused UPDATE or DELETE carries, on both databases.
REFUSAL = "access_change is append-only: ledger rows are never changed or deleted"

# SQLite drops a table's triggers with the table: a later migration that rebuilds
# access_change (batch_alter_table in "recreate" mode) must create these again after it.
_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER access_change_no_update BEFORE UPDATE ON access_change
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
    f"""CREATE TRIGGER access_change_no_delete BEFORE DELETE ON access_change
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
)
_POSTGRES_TRIGGERS = (
    f"""CREATE FUNCTION access_change_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege';
    END
    $$""",
    """CREATE TRIGGER access_change_no_change BEFORE UPDATE OR DELETE ON access_change
    FOR EACH ROW EXECUTE FUNCTION access_change_append_only()""",
    """CREATE TRIGGER access_change_no_truncate BEFORE TRUNCATE ON access_change
    FOR EACH STATEMENT EXECUTE FUNCTION access_change_append_only()""",
)


def upgrade() -> None:
    # Nullable: rows whose step was removed before this revision have no title to give.
    op.add_column(
        "access_change",
        sa.Column("step_title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    )
    _backfill_titles()
    # Last: the backfill above is the ledger's only UPDATE, ever.
    for statement in _triggers():
        op.execute(statement)


def _backfill_titles() -> None:
    """Rows written before this revision name their step by id only; where the step still
    exists, its title now is the best record there is of its title then."""
    ledger = sa.table("access_change", sa.column("step_id"), sa.column("step_title"))
    step = sa.table("step", sa.column("id"), sa.column("title"))
    title = sa.select(step.c.title).where(step.c.id == ledger.c.step_id).scalar_subquery()
    op.execute(ledger.update().values(step_title=title).where(ledger.c.step_title.is_(None)))


def _triggers() -> tuple[str, ...]:
    return _POSTGRES_TRIGGERS if op.get_bind().dialect.name == "postgresql" else _SQLITE_TRIGGERS


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER access_change_no_truncate ON access_change")
        op.execute("DROP TRIGGER access_change_no_change ON access_change")
        op.execute("DROP FUNCTION access_change_append_only()")
    else:
        op.execute("DROP TRIGGER access_change_no_delete")
        op.execute("DROP TRIGGER access_change_no_update")
    with op.batch_alter_table("access_change", schema=None) as batch_op:
        batch_op.drop_column("step_title")
