"""A snapshot of every table, to prove a refused request changed nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import inspect, text

from portal.db import engine_for

# Tables and columns that legitimately move on every request: the audit log records the
# refusal itself, sign-in attempts record tries, and sessions note when they were last seen.
VOLATILE_TABLES = {"audit_event", "sign_in_attempt", "alembic_version"}
# The mail sender works in the background of the served app: it claims, sends and retries
# queued mail (and makes an emailed link's token as it sends). What it writes is not the
# request's doing; a new queued mail still is, so the rows themselves are compared.
_SENDER_COLUMNS = {
    "status",
    "attempts",
    "next_attempt_at",
    "claimed_at",
    "last_error",
    "reason",
    "message_id",
    "sent_at",
    "link_id",
}
VOLATILE_COLUMNS = {"login_session": {"last_seen_at"}, "mail_queue": _SENDER_COLUMNS}
# Rows the clock makes: the morning digest is queued every 30 s for whoever has reached their
# firm's 07:00 with something due, whatever requests arrive meanwhile.
BACKGROUND_ROWS = {"mail_queue": "kind <> 'digest'"}


def snapshot(database_url: str) -> dict[str, list[tuple]]:
    engine = engine_for(database_url)
    tables = {}
    with engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            if table in VOLATILE_TABLES:
                continue
            skip = VOLATILE_COLUMNS.get(table, set())
            columns = [c["name"] for c in inspect(conn).get_columns(table) if c["name"] not in skip]
            quoted = ", ".join(f'"{c}"' for c in columns)
            where = f" WHERE {BACKGROUND_ROWS[table]}" if table in BACKGROUND_ROWS else ""
            query = f'SELECT {quoted} FROM "{table}"{where} ORDER BY 1'  # noqa: S608
            rows = conn.execute(text(query)).all()
            tables[table] = [tuple(r) for r in rows]
    return tables


def audit_rows(database_url: str, after_id: int = 0) -> list[dict]:
    with engine_for(database_url).connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM audit_event WHERE id > :after ORDER BY id"), {"after": after_id}
        ).mappings()
        return [dict(r) for r in rows]


def last_audit_id(database_url: str) -> int:
    with engine_for(database_url).connect() as conn:
        return conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM audit_event")).scalar_one()


def audit_tally(database_url: str) -> dict[int, int]:
    """Every audit row's count, by id. Refusals fold (one row per actor, what and minute,
    with a count), so "what was audited since" is rows that are new or whose count grew."""
    with engine_for(database_url).connect() as conn:
        return dict(conn.execute(text("SELECT id, count FROM audit_event")).all())


def audit_added(
    database_url: str,
    before: dict[int, int],
    until: Callable[[list[dict]], bool] | None = None,
    timeout: float = 10.0,
) -> list[dict]:
    """The audit rows written or added to since `before` (an `audit_tally`), each with
    "added": how many events it gained since then.

    A refusal's first occurrence is on record at once; its repeats reach the row within the
    server's flush interval (0.1 s in tests). Given `until`, this waits up to `timeout` for the
    rows to satisfy it and returns them as they are then, so the caller's assertion says what
    was missing."""
    deadline = time.monotonic() + timeout
    while True:
        rows = _added(database_url, before)
        if until is None or until(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def _added(database_url: str, before: dict[int, int]) -> list[dict]:
    added = []
    for row in audit_rows(database_url):
        gained = row["count"] - before.get(row["id"], 0)
        if gained > 0:
            added.append({**row, "added": gained})
    return added
