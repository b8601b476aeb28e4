"""Optimistic concurrency, field by field: an edit writes only the fields the person changed,
and only while each of them still holds what the person saw.

Check and write are one UPDATE, so two people saving at once cannot both pass: the second
gets a Conflict naming what changed and who changed it, and nothing of theirs is written.
Fields the person left alone are not compared, so an assignment never invalidates a title
edit, and two people who change different fields of one record both keep their change.
A field that already holds exactly what the person typed is no conflict either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import or_, select, update
from sqlmodel import Session, SQLModel

from models import User, utcnow
from portal.auth import Actor
from portal.services import display
from portal.services.errors import Conflict, NotFound

# How a value reads in a conflict message; a page may pass its own (names for user ids).
Shower = Callable[[str, Any], str]


def show_value(_name: str, value: Any) -> str:
    if value is None or value == "":
        return "empty"
    if isinstance(value, date):
        return display.day(value)
    text = " ".join(str(value).split())
    return f"“{text[:60]}…”" if len(text) > 60 else f"“{text}”"


def seen_date(value: object) -> date | None:
    """A date an editor showed (ISO, or empty for none). It came from the page's own data,
    so anything else means "none"."""
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        return None


def save_changes(
    session: Session,
    model: type[SQLModel],
    row_id: int,
    *,
    actor: Actor,
    seen: Mapping[str, Any],
    wanted: Mapping[str, Any],
    labels: Mapping[str, str],
    what: str,
    show: Shower = show_value,
    picked: bool = False,
) -> dict[str, Any]:
    """Write the fields of `wanted` that differ from `seen`; the changes written. `picked`
    says the change came from a picker rather than an editor, for the conflict's wording."""
    changed = {name: value for name, value in wanted.items() if value != seen.get(name)}
    if not changed:
        return {}
    conditions = [
        or_(getattr(model, name) == seen.get(name), getattr(model, name) == value)
        for name, value in changed.items()
    ]
    result = session.execute(
        update(model)
        .where(model.id == row_id, *conditions)
        .values(
            **changed,
            updated_at=utcnow(),
            updated_by_id=actor.user_id,
            version=model.version + 1,
        )
    )
    if result.rowcount != 1:
        raise conflict(
            session,
            model,
            row_id,
            seen=seen,
            changed=changed,
            labels=labels,
            what=what,
            show=show,
            picked=picked,
        )
    return changed


def conflict(
    session: Session,
    model: type[SQLModel],
    row_id: int,
    *,
    seen: Mapping[str, Any],
    changed: Mapping[str, Any],
    labels: Mapping[str, str],
    what: str,
    show: Shower = show_value,
    picked: bool = False,
) -> Conflict:
    """The Conflict for a failed compare-and-set: which fields, their values now, who and when."""
    current = session.execute(
        select(model).where(model.id == row_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if current is None:
        return NotFound()
    clashes = tuple(
        name for name in changed if getattr(current, name) not in (seen.get(name), changed[name])
    )
    now_reads = "; ".join(
        f"{labels.get(name, name)} is now {show(name, getattr(current, name))}" for name in clashes
    )
    now_reads = now_reads or "it no longer matches what you saw"
    if picked:
        message = (
            f"{changed_by(session, current)} changed {what} {changed_when(current)}: "
            f"{now_reads}. Your choice was not saved; the page now shows what holds."
        )
    else:
        message = (
            f"{changed_by(session, current)} changed {what} {changed_when(current)} while you "
            f"were editing: {now_reads}. Nothing of yours was saved; your entries are kept."
        )
    return Conflict(message, fields=clashes)


def changed_by(session: Session, row: SQLModel) -> str:
    """The name of whoever changed a row last, or "Someone" when it is not known."""
    user_id = getattr(row, "updated_by_id", None)
    name = (
        session.execute(select(User.name).where(User.id == user_id)).scalar_one_or_none()
        if user_id
        else None
    )
    return name or "Someone"


def changed_when(row: SQLModel) -> str:
    at = getattr(row, "updated_at", None)
    return f"at {display.moment(at)}" if at else "just now"
