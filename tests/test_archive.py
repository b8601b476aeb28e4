"""Archived logins: only a deactivated login can be archived; it leaves the login lists and
every picker, stays in the audit log and the access history (its name still resolves), and
"Restore" brings it back, deactivated. Each change is audited."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import AuditEvent, User
from portal.services import access_review, audit, people, team
from portal.services.errors import Invalid, ServiceError
from tests.factories import actor_for, make_firm, make_user


@pytest.fixture
def firm_people(session):
    firm = make_firm(session, "Archive Firm")
    admin = make_user(session, firm, "admin", email="admin@archive.example", name="Ada Admin")
    staff = make_user(session, firm, "staff", email="sam@archive.example", name="Sam Staff")
    gone = make_user(session, firm, "staff", email="old@archive.example", name="Olga Old")
    bk = make_user(session, firm, "bookkeeper", email="bk@archive.example", name="Bea Books")
    session.commit()
    return admin, staff, gone, bk


def _deactivate_and_archive(session, admin, user):
    team.set_active(session=session, actor=actor_for(admin), user_id=user.id, active=False)
    team.set_archived(session=session, actor=actor_for(admin), user_id=user.id, archived=True)
    session.commit()


def _actions(session, user_id):
    return session.exec(
        select(AuditEvent.action)
        .where(AuditEvent.target_type == "user", AuditEvent.target_id == user_id)
        .order_by(AuditEvent.id)
    ).all()


def test_an_active_login_cannot_be_archived(session, firm_people):
    admin, _, gone, _ = firm_people
    with pytest.raises(Invalid, match="Deactivate this login first"):
        team.set_archived(session=session, actor=actor_for(admin), user_id=gone.id, archived=True)
    session.rollback()
    assert session.get(User, gone.id).archived_at is None
    assert "login_archived" not in _actions(session, gone.id)


def test_archived_logins_leave_the_lists_and_come_back_when_shown(session, firm_people):
    admin, staff, gone, bk = firm_people
    _deactivate_and_archive(session, admin, gone)
    _deactivate_and_archive(session, admin, bk)
    as_admin = actor_for(admin)
    listed = [p.name for p in team.list_staff(session=session, actor=as_admin)]
    assert listed == ["Ada Admin", "Sam Staff"]
    assert [p.name for p in team.list_staff(session=session, actor=actor_for(staff))] == listed
    assert team.list_bookkeepers(session=session, actor=as_admin) == []
    archived = team.list_staff(session=session, actor=as_admin, archived=True)
    assert [(p.name, p.status) for p in archived] == [("Olga Old", "archived")]
    archived_bk = team.list_bookkeepers(session=session, actor=as_admin, archived=True)
    assert [(p.name, p.archived) for p in archived_bk] == [("Bea Books", True)]
    # Only admins may ask for the archived ones.
    with pytest.raises(ServiceError):
        team.list_staff(session=session, actor=actor_for(staff), archived=True)


def test_pickers_never_offer_an_archived_login(session, firm_people):
    admin, _, gone, bk = firm_people
    _deactivate_and_archive(session, admin, gone)
    _deactivate_and_archive(session, admin, bk)
    picked = people.pickers(session=session, actor=actor_for(admin))
    offered = {o.id for o in picked.assignees} | {o.id for o in picked.reviewers}
    assert gone.id not in offered and bk.id not in offered
    assert admin.id in offered
    # The picker's query names the column itself, not only "active".
    assert "archived_at" in str(people._ACTIVE)
    with pytest.raises(Invalid):
        people.assignable(session, actor_for(admin), bk.id)


def test_the_audit_log_and_the_access_history_keep_them(session, firm_people):
    admin, _, _, bk = firm_people
    _deactivate_and_archive(session, admin, bk)
    assert _actions(session, bk.id) == ["login_deactivated", "login_archived"]
    log = audit.list_events(session=session, actor=actor_for(admin))
    assert "Bea Books (Bookkeeper, archived)" in [p.label for p in log.people]
    assert any(r.action == "login archived" and r.who == "Ada Admin" for r in log.rows)
    page = access_review.review_page(
        session=session, actor=actor_for(admin), review=access_review.review(view="now")
    )
    assert "Bea Books (archived)" in [c.label for c in page.people]


def test_restore_brings_it_back_deactivated(session, firm_people):
    admin, _, gone, _ = firm_people
    _deactivate_and_archive(session, admin, gone)
    as_admin = actor_for(admin)
    # An archived login is not reactivated behind the admin's back: restore first.
    with pytest.raises(Invalid, match="restore it first"):
        team.set_active(session=session, actor=as_admin, user_id=gone.id, active=True)
    session.rollback()
    team.set_archived(session=session, actor=as_admin, user_id=gone.id, archived=False)
    session.commit()
    row = next(p for p in team.list_staff(session=session, actor=as_admin) if p.id == gone.id)
    assert (row.status, row.is_active) == ("deactivated", False)
    assert team.list_staff(session=session, actor=as_admin, archived=True) == []
    assert _actions(session, gone.id)[-1] == "login_restored"
    team.set_active(session=session, actor=as_admin, user_id=gone.id, active=True)
    session.commit()
    assert session.get(User, gone.id).is_active


def test_only_admins_archive_and_only_their_own_firm(session, firm_people):
    admin, staff, gone, _ = firm_people
    team.set_active(session=session, actor=actor_for(admin), user_id=gone.id, active=False)
    session.commit()
    with pytest.raises(ServiceError):
        team.set_archived(session=session, actor=actor_for(staff), user_id=gone.id, archived=True)
    other = make_firm(session, "Elsewhere")
    their_admin = make_user(session, other, "admin", email="admin@elsewhere.example")
    session.commit()
    with pytest.raises(ServiceError):
        team.set_archived(
            session=session, actor=actor_for(their_admin), user_id=gone.id, archived=True
        )
    session.rollback()
    assert session.get(User, gone.id).archived_at is None
