"""Filings: creation, the lifecycle with its audit trail, reviewer and approver."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import AuditEvent, Filing
from portal.services import filings, people, team
from portal.services.errors import Conflict, Invalid, NotFound, Refused


def create(session, actor, client_id, **overrides):
    values = {"kind": "Payroll", "period": "April 2026", "due_date": "2026-05-15"} | overrides
    return filings.create_filing(session=session, actor=actor, client_id=client_id, **values)


def test_create_a_filing(session, world):
    staff = world.actor(session, world.staff)
    filing = session.get(Filing, create(session, staff, world.client.id))
    assert (filing.kind, filing.period, str(filing.due_date), filing.status) == (
        "Payroll",
        "April 2026",
        "2026-05-15",
        "open",
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "Horoscope"}, "Choose the kind"),
        ({"period": ""}, "Period cannot be empty"),
        ({"due_date": "15/05/2026"}, "YYYY-MM-DD"),
        ({"due_date": "2026-02-30"}, "YYYY-MM-DD"),
    ],
)
def test_bad_filing_input_changes_nothing(session, world, overrides, message):
    staff = world.actor(session, world.staff)
    before = len(session.exec(select(Filing)).all())
    with pytest.raises(Invalid, match=message):
        create(session, staff, world.client.id, **overrides)
    session.rollback()
    assert len(session.exec(select(Filing)).all()) == before


def test_no_filing_for_another_firms_client(session, world):
    with pytest.raises(NotFound):
        create(session, world.actor(session, world.staff), world.outsider_client.id)


def test_lifecycle_file_reopen_cancel_reopen_each_audited(session, world):
    staff = world.actor(session, world.staff)
    fid = world.filing.id

    def act(action):
        return filings.change_status(session=session, actor=staff, filing_id=fid, action=action)

    assert act("file").status == "filed"
    with pytest.raises(Invalid, match="Only an active filing can be filed"):
        act("file")
    assert act("reopen").status == "open"
    with pytest.raises(Invalid, match="already active"):
        act("reopen")
    assert act("cancel").status == "cancelled"
    with pytest.raises(Invalid, match="Only an active filing can be cancelled"):
        act("cancel")
    assert act("reopen").is_active
    trail = session.exec(
        select(AuditEvent.action).where(AuditEvent.target_id == fid).order_by(AuditEvent.id)
    ).all()
    assert trail == ["filing_filed", "filing_reopened", "filing_cancelled", "filing_reopened"]


def test_bookkeepers_cannot_change_a_filing(session, world):
    bk = world.actor(session, world.bk1)
    for action in ("file", "cancel", "reopen"):
        with pytest.raises(Refused):
            filings.change_status(
                session=session, actor=bk, filing_id=world.filing.id, action=action
            )
    assert session.get(Filing, world.filing.id).status == "open"


def test_reviewer_and_approver_are_staff_only(session, world):
    staff = world.actor(session, world.staff)
    options = people.reviewer_options(session=session, actor=staff)
    assert {o.name for o in options} == {"Ada Admin", "Sam Staff"}
    filings.set_reviewer(
        session=session,
        actor=staff,
        filing_id=world.filing.id,
        user_id=world.admin.id,
        role="reviewer",
    )
    header = filings.get_filing(session=session, actor=staff, filing_id=world.filing.id)
    assert header.reviewer_name == "Ada Admin"
    for user in (world.bk1, world.outsider):
        for role in ("reviewer", "approver"):
            with pytest.raises(Invalid, match="Only active staff"):
                filings.set_reviewer(
                    session=session,
                    actor=staff,
                    filing_id=world.filing.id,
                    user_id=user.id,
                    role=role,
                )
    admin = world.actor(session, world.admin)
    team.set_active(session=session, actor=admin, user_id=world.staff.id, active=False)
    with pytest.raises(Invalid):
        filings.set_reviewer(
            session=session,
            actor=admin,
            filing_id=world.filing.id,
            user_id=world.staff.id,
            role="approver",
        )


def seen_of(session, actor, filing_id):
    return filings.edit_values(
        filings.get_filing(session=session, actor=actor, filing_id=filing_id)
    )


def edit(session, actor, filing_id, seen, **changes):
    values = {**seen, **changes}
    filings.update_filing(
        session=session,
        actor=actor,
        filing_id=filing_id,
        kind=values["kind"],
        period=values["period"],
        due_date=values["due_date"],
        seen=seen,
    )
    session.commit()


def test_two_staff_changing_period_and_due_date_both_keep_their_change(session, world):
    """The tester's case: one changes the period, the other only the due date. Both are
    told "saved", and both changes must hold."""
    sam, ada = world.actor(session, world.staff), world.actor(session, world.admin)
    seen = seen_of(session, sam, world.filing.id)
    edit(session, ada, world.filing.id, seen, period="Q2 2026")
    edit(session, sam, world.filing.id, seen, due_date="2026-07-31")
    now = filings.get_filing(session=session, actor=sam, filing_id=world.filing.id)
    assert (now.period, now.due_iso) == ("Q2 2026", "2026-07-31")


def test_the_same_detail_changed_meanwhile_is_refused_naming_who(session, world):
    sam, ada = world.actor(session, world.staff), world.actor(session, world.admin)
    seen = seen_of(session, sam, world.filing.id)
    edit(session, ada, world.filing.id, seen, period="Q2 2026")
    with pytest.raises(Conflict) as clash:
        edit(session, sam, world.filing.id, seen, period="Q3 2026", due_date="2026-09-30")
    session.rollback()
    assert clash.value.fields == ("period",)
    assert clash.value.message.startswith("Ada Admin changed this filing")
    assert "Period is now “Q2 2026”" in clash.value.message
    now = filings.get_filing(session=session, actor=sam, filing_id=world.filing.id)
    assert (now.period, now.due_iso) == ("Q2 2026", seen["due_date"])


def test_a_status_change_from_a_stale_page_is_refused_naming_who(session, world):
    sam, ada = world.actor(session, world.staff), world.actor(session, world.admin)
    filings.change_status(
        session=session, actor=ada, filing_id=world.filing.id, action="cancel", expected="open"
    )
    session.commit()
    with pytest.raises(Conflict, match="Ada Admin cancelled this filing"):
        filings.change_status(
            session=session, actor=sam, filing_id=world.filing.id, action="file", expected="open"
        )
    session.rollback()
    assert session.get(Filing, world.filing.id).status == "cancelled"


def test_two_staff_picking_reviewers_at_once_cannot_both_win(session, world):
    sam, ada = world.actor(session, world.staff), world.actor(session, world.admin)
    filings.set_reviewer(
        session=session,
        actor=ada,
        filing_id=world.filing.id,
        user_id=world.admin.id,
        role="reviewer",
        expected=None,
    )
    session.commit()
    with pytest.raises(Conflict) as clash:
        filings.set_reviewer(
            session=session,
            actor=sam,
            filing_id=world.filing.id,
            user_id=world.staff.id,
            role="reviewer",
            expected=None,
        )
    session.rollback()
    assert "Reviewer is now Ada Admin" in clash.value.message
    assert session.get(Filing, world.filing.id).reviewer_id == world.admin.id
    # The approver is another field: picking one does not clash with the reviewer.
    filings.set_reviewer(
        session=session,
        actor=sam,
        filing_id=world.filing.id,
        user_id=world.staff.id,
        role="approver",
        expected=None,
    )
