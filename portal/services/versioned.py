"""Optimistic concurrency: an edit saves only if the row is still at the version it was read at.

The check and the write are one UPDATE statement, so two people saving at once cannot both
pass the check: the second gets a Conflict and the first one's edit stands.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, SQLModel

from portal.services.errors import Conflict


def save_if_unchanged(
    session: Session, model: type[SQLModel], row_id: int, version: int, values: dict[str, Any]
) -> None:
    result = session.execute(
        update(model)
        .where(model.id == row_id, model.version == version)
        .values(**values, version=model.version + 1)
    )
    if result.rowcount != 1:
        raise Conflict
