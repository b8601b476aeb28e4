"""Who can be picked for what: assignees, reviewers and approvers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, select

from models import Firm, User, UserRole
from portal.auth import Actor
from portal.services import scope, sessions
from portal.services.errors import Invalid


@dataclass(frozen=True)
class PersonOption:
    id: int = 0
    name: str = ""
    role: str = ""
    label: str = ""


def _option(user_id: int, name: str, role: str) -> PersonOption:
    suffix = " (bookkeeper)" if role == UserRole.BOOKKEEPER else ""
    return PersonOption(id=user_id, name=name, role=role, label=name + suffix)


# Pickers read three columns, never whole user rows (a row carries the password hash).
_PICKED = (User.id, User.name, User.role)


# Every active login of a firm that a picker can offer, staff first, each group by name.
# An archived login is always deactivated too; it is named here so no picker can offer one.
_ACTIVE = (
    select(*_PICKED)
    .where(
        User.firm_id == bindparam("firm_id"),
        User.is_active.is_(True),
        User.archived_at.is_(None),
    )
    .order_by(User.role == UserRole.BOOKKEEPER.value, User.name, User.id)
)
_PORTAL_OPEN = select(Firm.portal_enabled, Firm.filing_steps_enabled).where(
    Firm.id == bindparam("firm_id")
)


def _portal_open(session: Session, actor: Actor) -> bool:
    # The firm's two switches, read as columns: portal_open_for needs nothing else.
    row = session.execute(_PORTAL_OPEN, {"firm_id": actor.firm_id}).one()
    return sessions.portal_open_for(row)


@dataclass(frozen=True)
class Pickers:
    assignees: list[PersonOption]
    reviewers: list[PersonOption]


def pickers(*, session: Session, actor: Actor) -> Pickers:
    """Both pickers of the filing page from one read of the firm's active logins.

    Assignees: active staff, and active bookkeepers when the firm has the portal, marked as
    such. Reviewers and approvers: staff only, a bookkeeper is never offered."""
    scope.require_staff(actor)
    params = {"firm_id": actor.firm_id}
    portal_open = _portal_open(session, actor)
    staff, bookkeepers = [], []
    for user_id, name, role in session.execute(_ACTIVE, params):
        if role in scope.STAFF_ROLES:
            staff.append(_option(user_id, name, role))
        elif role == UserRole.BOOKKEEPER and portal_open:
            bookkeepers.append(_option(user_id, name, role))
    return Pickers(assignees=staff + bookkeepers, reviewers=staff)


def assignee_options(*, session: Session, actor: Actor) -> list[PersonOption]:
    return pickers(session=session, actor=actor).assignees


def reviewer_options(*, session: Session, actor: Actor) -> list[PersonOption]:
    return pickers(session=session, actor=actor).reviewers


def name_of(session: Session, actor: Actor, user_id: int | None) -> str:
    """A person of the firm as a message names them; "nobody" for no one."""
    if not user_id:
        return "nobody"
    name = session.exec(
        select(User.name).where(User.id == user_id, User.firm_id == actor.firm_id)
    ).first()
    return name or "someone no longer listed"


def assignable(session: Session, actor: Actor, user_id: int) -> User:
    """The person a step may go to, or a clear refusal."""
    user = session.exec(
        select(User).where(User.id == user_id, User.firm_id == actor.firm_id)
    ).first()
    if user is None:
        raise Invalid("That person is not in your firm.")
    if not user.is_active:
        raise Invalid(f"{user.name} is deactivated and cannot be assigned work.")
    if user.role == UserRole.BOOKKEEPER and not _portal_open(session, actor):
        raise Invalid("Bookkeepers can be assigned steps only while the Bookkeeper Portal is on.")
    return user


def reviewer(session: Session, actor: Actor, user_id: int) -> User:
    user = session.exec(
        select(User).where(User.id == user_id, User.firm_id == actor.firm_id)
    ).first()
    if user is None or not user.is_active or user.role not in scope.STAFF_ROLES:
        raise Invalid("Only active staff of your firm can review or approve a filing.")
    return user
