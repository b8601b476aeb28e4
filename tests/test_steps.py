"""The Filing Steps module: steps, assignment, status, checklist, time and comments."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from models import AuditEvent, ChecklistItem, Step, StepComment, TimeEntry
from portal.services import filings, people, steps, team
from portal.services.errors import Conflict, Invalid, NotFound, Refused
from tests.factories import make_filing, make_user


def test_add_steps_in_order_and_assign_a_bookkeeper(session, world):
    staff = world.actor(session, world.staff)
    first = steps.add_step(
        session=session,
        actor=staff,
        filing_id=world.filing.id,
        title="Reconcile",
        due_date="2026-05-01",
        assignee_id=world.bk2.id,
    )
    second = steps.add_step(session=session, actor=staff, filing_id=world.filing.id, title="Review")
    views = steps.steps_for_filing(session=session, actor=staff, filing_id=world.filing.id)
    assert [v.title for v in views] == ["Enter Q1 bank transactions", "Reconcile", "Review"]
    added = next(v for v in views if v.id == first)
    assert added.assignee_name == "Dev Books" and added.assignee_is_bookkeeper
    assert next(v for v in views if v.id == second).assignee_id == 0
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.target_id == first)).all()
    assert "step_assigned" in actions


def test_assignee_picker_lists_active_staff_and_marked_bookkeepers(session, world):
    make_user(session, world.firm, "bookkeeper", name="Gone Books", is_active=False)
    session.commit()
    staff = world.actor(session, world.staff)
    labels = [o.label for o in people.assignee_options(session=session, actor=staff)]
    assert labels == ["Ada Admin", "Sam Staff", "Bea Books (bookkeeper)", "Dev Books (bookkeeper)"]
    world.firm.portal_enabled = False
    session.add(world.firm)
    session.commit()
    labels = [o.label for o in people.assignee_options(session=session, actor=staff)]
    assert labels == ["Ada Admin", "Sam Staff"]


@pytest.mark.parametrize("who", ["outsider", "inactive", "bookkeeper_without_portal"])
def test_assigning_to_someone_who_cannot_take_the_step_is_refused(session, world, who):
    staff = world.actor(session, world.staff)
    target = world.outsider
    if who == "inactive":
        target = make_user(session, world.firm, "staff", is_active=False)
    elif who == "bookkeeper_without_portal":
        target = world.bk2
        world.firm.portal_enabled = False
        session.add(world.firm)
    session.commit()
    with pytest.raises(Invalid):
        steps.assign_step(
            session=session, actor=staff, step_id=world.step.id, assignee_id=target.id
        )
    session.rollback()
    assert session.get(Step, world.step.id).assignee_id == world.bk1.id


def test_reassign_and_unassign_are_audited(session, world):
    staff = world.actor(session, world.staff)
    steps.assign_step(session=session, actor=staff, step_id=world.step.id, assignee_id=world.bk2.id)
    steps.assign_step(session=session, actor=staff, step_id=world.step.id, assignee_id=None)
    trail = session.exec(
        select(AuditEvent.action)
        .where(AuditEvent.target_type == "step", AuditEvent.target_id == world.step.id)
        .order_by(AuditEvent.id)
    ).all()
    assert trail == ["step_reassigned", "step_unassigned"]


def test_no_new_steps_while_filing_steps_is_off(session, world):
    world.firm.filing_steps_enabled = False
    world.firm.portal_enabled = False
    session.add(world.firm)
    session.commit()
    with pytest.raises(Invalid, match="Filing Steps is turned off"):
        steps.add_step(
            session=session,
            actor=world.actor(session, world.staff),
            filing_id=world.filing.id,
            title="New",
        )


def test_no_steps_on_a_closed_filing(session, world):
    staff = world.actor(session, world.staff)
    filings.change_status(session=session, actor=staff, filing_id=world.filing.id, action="file")
    with pytest.raises(Invalid, match="Reopen it"):
        steps.add_step(session=session, actor=staff, filing_id=world.filing.id, title="Late")


@pytest.mark.parametrize(
    ("title", "due", "message"),
    [("", "", "Step title cannot be empty"), ("Ok", "tomorrow", "YYYY-MM-DD")],
)
def test_bad_step_input(session, world, title, due, message):
    staff = world.actor(session, world.staff)
    with pytest.raises(Invalid, match=message):
        steps.add_step(
            session=session, actor=staff, filing_id=world.filing.id, title=title, due_date=due
        )


def test_an_edit_over_a_field_changed_meanwhile_is_refused_and_keeps_the_other_edit(session, world):
    staff = world.actor(session, world.staff)
    admin = world.actor(session, world.admin)
    seen = steps.edit_values(steps.get_step(session=session, actor=staff, step_id=world.step.id))
    steps.edit_step(
        session=session,
        actor=admin,
        step_id=world.step.id,
        title="Enter bank transactions",
        description="",
        due_date="2026-06-01",
        seen=seen,
    )
    session.commit()
    with pytest.raises(Conflict) as clash:
        steps.edit_step(
            session=session,
            actor=staff,
            step_id=world.step.id,
            title="Something else",
            description="",
            due_date="",
            seen=seen,
        )
    session.rollback()
    assert set(clash.value.fields) == {"title", "due_date"}
    assert clash.value.message.startswith("Ada Admin changed this step")
    step = session.get(Step, world.step.id)
    assert (step.title, str(step.due_date)) == ("Enter bank transactions", "2026-06-01")


def test_a_reassignment_does_not_make_a_title_edit_conflict(session, world):
    staff = world.actor(session, world.staff)
    admin = world.actor(session, world.admin)
    seen = steps.edit_values(steps.get_step(session=session, actor=staff, step_id=world.step.id))
    steps.assign_step(
        session=session,
        actor=admin,
        step_id=world.step.id,
        assignee_id=world.bk2.id,
        expected_assignee_id=world.bk1.id,
    )
    session.commit()
    steps.edit_step(
        session=session,
        actor=staff,
        step_id=world.step.id,
        title="Enter Q1 bank and card transactions",
        description=seen["description"],
        due_date=seen["due_date"],
        seen=seen,
    )
    session.commit()
    step = session.get(Step, world.step.id)
    session.refresh(step)
    assert (step.title, step.assignee_id) == ("Enter Q1 bank and card transactions", world.bk2.id)


def test_two_people_assigning_at_once_cannot_both_win(session, world):
    """Access follows assignment: the one who loses is told who holds the step now."""
    staff = world.actor(session, world.staff)
    admin = world.actor(session, world.admin)
    steps.assign_step(
        session=session,
        actor=admin,
        step_id=world.step.id,
        assignee_id=world.bk2.id,
        expected_assignee_id=world.bk1.id,
    )
    session.commit()
    with pytest.raises(Conflict) as clash:
        steps.assign_step(
            session=session,
            actor=staff,
            step_id=world.step.id,
            assignee_id=world.staff.id,
            expected_assignee_id=world.bk1.id,
        )
    session.rollback()
    assert "Ada Admin changed this step's assignee" in clash.value.message
    assert "assigned to Dev Books" in clash.value.message
    assert clash.value.message.endswith("Your choice was not saved; the page now shows what holds.")
    assert session.get(Step, world.step.id).assignee_id == world.bk2.id
    # Picking what already holds is no conflict.
    steps.assign_step(
        session=session,
        actor=staff,
        step_id=world.step.id,
        assignee_id=world.bk2.id,
        expected_assignee_id=world.bk1.id,
    )


def test_a_status_change_from_a_stale_page_is_refused(session, world):
    staff = world.actor(session, world.staff)
    bk = world.actor(session, world.bk1)
    steps.set_status(
        session=session, actor=bk, step_id=world.step.id, status="done", expected="todo"
    )
    session.commit()
    with pytest.raises(Conflict, match="Bea Books set this step to “Done”"):
        steps.set_status(
            session=session,
            actor=staff,
            step_id=world.step.id,
            status="in_progress",
            expected="todo",
        )
    session.rollback()
    assert session.get(Step, world.step.id).status == "done"


def test_two_people_on_one_step_keep_each_others_ticks_and_time(session, world):
    """The bookkeeper ticks and logs time while staff edit the same step from an old page."""
    staff = world.actor(session, world.staff)
    bk = world.actor(session, world.bk1)
    seen_by_staff = steps.get_step(session=session, actor=staff, step_id=world.step.id)
    item = seen_by_staff.checklist[0]
    steps.set_checklist_item(session=session, actor=bk, item_id=item.id, done=True)
    steps.log_time(
        session=session,
        actor=bk,
        step_id=world.step.id,
        minutes="1:15",
        work_date=date.today().isoformat(),
        note="statements",
    )
    steps.edit_step(
        session=session,
        actor=staff,
        step_id=world.step.id,
        title="Enter Q1 bank transactions",
        description="Use the RBC statements",
        due_date=seen_by_staff.due_iso,
        seen=steps.edit_values(seen_by_staff),
    )
    session.commit()
    now = steps.get_step(session=session, actor=staff, step_id=world.step.id)
    assert now.description == "Use the RBC statements"
    assert now.checklist[0].is_done and now.checklist[0].done_by == "Bea Books"
    assert [t.minutes for t in now.time] == [75]


def test_ticks_are_set_explicitly_so_two_ticks_agree(session, world):
    staff = world.actor(session, world.staff)
    bk = world.actor(session, world.bk1)
    item = session.exec(select(ChecklistItem).where(ChecklistItem.step_id == world.step.id)).first()
    steps.set_checklist_item(session=session, actor=bk, item_id=item.id, done=True)
    steps.set_checklist_item(session=session, actor=staff, item_id=item.id, done=True)
    session.refresh(item)
    assert item.is_done
    steps.set_checklist_item(session=session, actor=bk, item_id=item.id, done=False)
    session.refresh(item)
    assert not item.is_done and item.done_by_id is None


def test_move_and_remove(session, world):
    staff = world.actor(session, world.staff)
    second = steps.add_step(session=session, actor=staff, filing_id=world.filing.id, title="B")
    steps.move_step(session=session, actor=staff, step_id=second, direction="up")
    titles = [
        v.title
        for v in steps.steps_for_filing(session=session, actor=staff, filing_id=world.filing.id)
    ]
    assert titles == ["B", "Enter Q1 bank transactions"]
    steps.move_step(session=session, actor=staff, step_id=second, direction="up")  # already top
    steps.add_comment(session=session, actor=staff, step_id=second, body="note")
    steps.remove_step(session=session, actor=staff, step_id=second)
    session.commit()
    assert session.get(Step, second) is None
    assert session.exec(select(StepComment).where(StepComment.step_id == second)).all() == []


def test_a_step_with_time_cannot_be_removed(session, world):
    staff = world.actor(session, world.staff)
    steps.log_time(
        session=session,
        actor=staff,
        step_id=world.step.id,
        minutes="30",
        work_date=date.today().isoformat(),
    )
    with pytest.raises(Invalid, match="time logged"):
        steps.remove_step(session=session, actor=staff, step_id=world.step.id)


def test_status_and_waiting_on_client(session, world):
    staff = world.actor(session, world.staff)
    sid = world.step.id
    with pytest.raises(Invalid, match="waiting for cannot be empty"):
        steps.set_status(session=session, actor=staff, step_id=sid, status="waiting_on_client")
    steps.set_status(
        session=session,
        actor=staff,
        step_id=sid,
        status="waiting_on_client",
        reason="Bank statements for March",
    )
    view = steps.get_step(session=session, actor=staff, step_id=sid)
    assert (view.status_label, view.waiting_reason, view.due_label) == (
        "Waiting on client",
        "Bank statements for March",
        "Waiting on client",
    )
    steps.set_status(session=session, actor=staff, step_id=sid, status="in_progress")
    assert steps.get_step(session=session, actor=staff, step_id=sid).waiting_reason == ""
    with pytest.raises(Invalid, match="Choose a status"):
        steps.set_status(session=session, actor=staff, step_id=sid, status="archived")


@pytest.mark.parametrize(
    ("minutes", "expected"), [("90", 90), ("1:30", 90), ("0:05", 5), (" 45 ", 45)]
)
def test_time_accepts_minutes_or_h_mm(session, world, minutes, expected):
    staff = world.actor(session, world.staff)
    steps.log_time(
        session=session,
        actor=staff,
        step_id=world.step.id,
        minutes=minutes,
        work_date=date.today().isoformat(),
    )
    assert session.exec(select(TimeEntry.minutes)).one() == expected


@pytest.mark.parametrize(
    ("minutes", "worked", "message"),
    [
        ("abc", "today", "is not a time"),
        ("1:75", "today", "is not a time"),
        ("0", "today", "more than zero"),
        ("25:00", "today", "at most 24 hours"),
        ("", "today", "Enter the time spent"),
        ("30", "", "Date cannot be empty"),
        ("30", "yesterday", "YYYY-MM-DD"),
        ("30", "future", "cannot be in the future"),
    ],
)
def test_bad_time_is_refused_and_nothing_is_saved(session, world, minutes, worked, message):
    staff = world.actor(session, world.staff)
    when = {
        "today": date.today().isoformat(),
        "future": (date.today() + timedelta(days=2)).isoformat(),
    }.get(worked, worked)
    with pytest.raises(Invalid, match=message):
        steps.log_time(
            session=session, actor=staff, step_id=world.step.id, minutes=minutes, work_date=when
        )
    session.rollback()
    assert session.exec(select(TimeEntry)).all() == []


def test_people_edit_and_delete_only_their_own_time(session, world):
    staff = world.actor(session, world.staff)
    bk = world.actor(session, world.bk1)
    today = date.today().isoformat()
    steps.log_time(session=session, actor=bk, step_id=world.step.id, minutes="20", work_date=today)
    entry = session.exec(select(TimeEntry)).one()
    with pytest.raises(NotFound):
        steps.update_time_entry(
            session=session, actor=staff, entry_id=entry.id, minutes="5", work_date=today
        )
    with pytest.raises(NotFound):
        steps.delete_time_entry(session=session, actor=staff, entry_id=entry.id)
    steps.update_time_entry(
        session=session, actor=bk, entry_id=entry.id, minutes="0:40", work_date=today, note="x"
    )
    session.commit()
    session.refresh(entry)
    assert (entry.minutes, entry.note) == (40, "x")
    steps.delete_time_entry(session=session, actor=bk, entry_id=entry.id)
    assert session.exec(select(TimeEntry)).all() == []


def test_empty_comment_is_refused(session, world):
    with pytest.raises(Invalid, match="Comment cannot be empty"):
        steps.add_comment(
            session=session,
            actor=world.actor(session, world.staff),
            step_id=world.step.id,
            body="  ",
        )


def test_another_firms_steps_are_not_found(session, world):
    staff = world.actor(session, world.staff)
    sid = world.outsider_step.id
    for call in (
        lambda: steps.get_step(session=session, actor=staff, step_id=sid),
        lambda: steps.assign_step(
            session=session, actor=staff, step_id=sid, assignee_id=world.staff.id
        ),
        lambda: steps.set_status(session=session, actor=staff, step_id=sid, status="done"),
        lambda: steps.add_comment(session=session, actor=staff, step_id=sid, body="hi"),
        lambda: steps.steps_for_filing(
            session=session, actor=staff, filing_id=world.outsider_filing.id
        ),
    ):
        with pytest.raises(NotFound):
            call()


def test_bookkeepers_cannot_manage_steps(session, world):
    bk = world.actor(session, world.bk1)
    sid = world.step.id
    for call in (
        lambda: steps.add_step(session=session, actor=bk, filing_id=world.filing.id, title="x"),
        lambda: steps.assign_step(session=session, actor=bk, step_id=sid, assignee_id=None),
        lambda: steps.edit_step(
            session=session,
            actor=bk,
            step_id=sid,
            title="x",
            description="",
            due_date="2026-01-01",
            seen={},
        ),
        lambda: steps.move_step(session=session, actor=bk, step_id=sid, direction="up"),
        lambda: steps.remove_step(session=session, actor=bk, step_id=sid),
        lambda: steps.add_checklist_item(session=session, actor=bk, step_id=sid, label="x"),
    ):
        with pytest.raises(Refused):
            call()


def test_deactivated_people_drop_out_of_the_picker(session, world):
    admin = world.actor(session, world.admin)
    team.set_active(session=session, actor=admin, user_id=world.bk2.id, active=False)
    names = {o.name for o in people.assignee_options(session=session, actor=admin)}
    assert "Dev Books" not in names and "Bea Books" in names


def test_a_new_filing_gets_steps_from_scratch(session, world):
    other = make_filing(session, world.other_client)
    session.commit()
    staff = world.actor(session, world.staff)
    assert steps.steps_for_filing(session=session, actor=staff, filing_id=other.id) == []
