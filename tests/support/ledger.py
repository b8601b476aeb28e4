"""Reading the access ledger back, for tests: its current state by replay."""

from __future__ import annotations

from sqlmodel import Session, select

from models import AccessChange

Path = tuple[int, int, int, int]


def replayed(session: Session, firm_id: int) -> set[Path]:
    """The ledger read from its first row: a grant adds a path (user, client, step, filing), a
    revocation removes it. A grant of a path already held, or a revocation of one not held,
    is itself a failure: the ledger records changes, never repeats."""
    held: set[Path] = set()
    rows = session.exec(
        select(AccessChange).where(AccessChange.firm_id == firm_id).order_by(AccessChange.id)
    ).all()
    for row in rows:
        path = (row.user_id, row.client_id, row.step_id, row.filing_id)
        if row.change == "granted":
            assert path not in held, f"ledger row {row.id} grants {path}, already held"
            held.add(path)
        else:
            assert row.change == "revoked", row.change
            assert path in held, f"ledger row {row.id} revokes {path}, never granted"
            held.remove(path)
    return held
