"""A person's own account: changing their password, signing out."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from models import Firm, LoginSession, User, utcnow
from portal.auth import Actor, PersonWords, hash_password, password_problem, verify_password
from portal.services import audit, live, sessions
from portal.services.errors import Invalid, NotFound


def change_own_password(
    *, session: Session, actor: Actor, current: str, new: str, confirm: str
) -> None:
    """Check the current password, apply the policy, and end the person's other sessions."""
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise NotFound
    if not verify_password(current, user.password_hash):
        raise Invalid("Your current password is not correct.")
    firm = session.get(Firm, user.firm_id)
    person = PersonWords(name=user.name, email=user.email, firm_name=firm.name if firm else "")
    problem = password_problem(new, person=person)
    if problem:
        raise Invalid(problem)
    if new != confirm:
        raise Invalid("The two new passwords do not match.")
    if verify_password(new, user.password_hash):
        raise Invalid("Choose a password different from the current one.")
    now = utcnow()
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.version += 1
    session.add(user)
    session.execute(
        update(LoginSession)
        .where(
            LoginSession.user_id == user.id,
            LoginSession.id != actor.session_id,
            LoginSession.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_reason="password changed")
    )
    live.changed(session, users=[user.id])
    audit.record(
        session=session,
        actor=actor,
        action="password_changed",
        target_type="user",
        target_id=user.id,
        at=now,
    )


def sign_out(*, session: Session, actor: Actor) -> None:
    sessions.end(session=session, session_id=actor.session_id, reason="signed out")
    audit.record(
        session=session, actor=actor, action="sign_out", target_type="user", target_id=actor.user_id
    )
