"""Who can be picked for what: assignees, reviewers and approvers."""

from __future__ import annotations

from dataclasses import dataclass

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


def _firm(session: Session, actor: Actor) -> Firm:
    return session.exec(select(Firm).where(Firm.id == actor.firm_id)).one()


def assignee_options(*, session: Session, actor: Actor) -> list[PersonOption]:
    """Active staff, and active bookkeepers when the firm has the portal, marked as such."""
    scope.require_staff(actor)
    roles = list(scope.STAFF_ROLES)
    if sessions.portal_open_for(_firm(session, actor)):
        roles.append(UserRole.BOOKKEEPER.value)
    users = session.exec(
        select(*_PICKED)
        .where(User.firm_id == actor.firm_id, User.is_active.is_(True), User.role.in_(roles))
        .order_by(User.role == UserRole.BOOKKEEPER.value, User.name)
    ).all()
    return [_option(*u) for u in users]


def reviewer_options(*, session: Session, actor: Actor) -> list[PersonOption]:
    """Reviewers and approvers are staff: a bookkeeper is never offered."""
    scope.require_staff(actor)
    users = session.exec(
        select(*_PICKED)
        .where(
            User.firm_id == actor.firm_id,
            User.is_active.is_(True),
            User.role.in_(scope.STAFF_ROLES),
        )
        .order_by(User.name)
    ).all()
    return [_option(*u) for u in users]


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
    if user.role == UserRole.BOOKKEEPER and not sessions.portal_open_for(_firm(session, actor)):
        raise Invalid("Bookkeepers can be assigned steps only while the Bookkeeper Portal is on.")
    return user


def reviewer(session: Session, actor: Actor, user_id: int) -> User:
    user = session.exec(
        select(User).where(User.id == user_id, User.firm_id == actor.firm_id)
    ).first()
    if user is None or not user.is_active or user.role not in scope.STAFF_ROLES:
        raise Invalid("Only active staff of your firm can review or approve a filing.")
    return user
