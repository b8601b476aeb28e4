"""Filing templates: managing them, and filings made from them (steps, dues, assignments)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from models import AccessChange, AuditEvent, ChecklistItem, Filing, Notification, Step
from portal.services import access_changes, clients, team, templates
from portal.services.errors import Conflict, Invalid, NotFound, Refused
from tests.factories import actor_for, make_user

DUE = date.today() + timedelta(days=60)


def gst_steps(world, **first):
    return [
        {
            "title": "Enter the quarter's bank transactions",
            "description": "From the bank statements.",
            "checklist": "Download statements\n\n  Enter deposits  \nEnter withdrawals",
            "assignee_id": str(world.bk2.id),
            "due_offset_days": "-14",
            **first,
        },
        {
            "title": "Review the return",
            "description": "",
            "checklist": "",
            "assignee_id": str(world.staff.id),
            "due_offset_days": "-3",
        },
    ]


def make_template(session, world, actor=None, **first) -> int:
    actor = actor or world.actor(session, world.staff)
    template_id = templates.save_template(
        session=session,
        actor=actor,
        template_id=None,
        name="GST/HST quarterly",
        kind="GST/HST",
        steps=gst_steps(world, **first),
    )
    session.commit()
    return template_id


def test_staff_create_list_and_read_a_template_in_order(session, world):
    template_id = make_template(session, world)
    staff = world.actor(session, world.staff)
    [listed] = templates.list_templates(session=session, actor=staff)
    assert (listed.id, listed.name, listed.kind, listed.step_count) == (
        template_id,
        "GST/HST quarterly",
        "GST/HST",
        2,
    )
    first, second = listed.steps
    assert first.title == "Enter the quarter's bank transactions"
    assert first.checklist == "Download statements\nEnter deposits\nEnter withdrawals"
    assert first.assignee_name == "Dev Books" and first.due_offset_days == -14
    assert first.offset_label == "14 days before the due date"
    assert second.assignee_name == "Sam Staff"
    options = templates.template_options(session=session, actor=staff)
    assert [(o.id, o.label) for o in options] == [(template_id, "GST/HST quarterly (GST/HST)")]


def test_editing_reorders_removes_and_adds_steps_over_the_version_seen(session, world):
    template_id = make_template(session, world)
    staff = world.actor(session, world.staff)
    seen = templates.get_template(session=session, actor=staff, template_id=template_id)
    steps = gst_steps(world)
    templates.save_template(
        session=session,
        actor=staff,
        template_id=template_id,
        name="GST/HST (quarterly)",
        kind="GST/HST",
        steps=[steps[1], {"title": "File with CRA", "due_offset_days": "0"}],
        seen_version=seen.version,
    )
    session.commit()
    now = templates.get_template(session=session, actor=staff, template_id=template_id)
    assert now.name == "GST/HST (quarterly)"
    assert [s.title for s in now.steps] == ["Review the return", "File with CRA"]
    assert now.version == seen.version + 1


def test_a_stale_save_is_a_conflict_and_changes_nothing(session, world):
    template_id = make_template(session, world)
    staff = world.actor(session, world.staff)
    admin = world.actor(session, world.admin)
    seen = templates.get_template(session=session, actor=staff, template_id=template_id)
    templates.save_template(
        session=session,
        actor=admin,
        template_id=template_id,
        name="Admin's name",
        kind="GST/HST",
        steps=gst_steps(world),
        seen_version=seen.version,
    )
    session.commit()
    with pytest.raises(Conflict, match="Ada Admin changed this template"):
        templates.save_template(
            session=session,
            actor=staff,
            template_id=template_id,
            name="Sam's name",
            kind="GST/HST",
            steps=[{"title": "Only one"}],
            seen_version=seen.version,
        )
    session.rollback()
    now = templates.get_template(session=session, actor=staff, template_id=template_id)
    assert now.name == "Admin's name" and now.step_count == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "Template name cannot be empty"),
        ({"kind": "Lottery"}, "Choose the kind of filing"),
        ({"steps": []}, "at least one step"),
        ({"steps": [{"title": "  "}]}, "Step 1 needs a title"),
        ({"steps": [{"title": "A", "due_offset_days": "soon"}]}, "Step 1 due: enter a whole"),
        ({"steps": [{"title": "A", "due_offset_days": "-400"}]}, "Step 1 due"),
        ({"steps": [{"title": "A", "assignee_id": "x"}]}, "not a person of your firm"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_writes_nothing(
    session, world, change, message
):
    staff = world.actor(session, world.staff)
    values = {"name": "T", "kind": "Payroll", "steps": [{"title": "Run payroll"}], **change}
    with pytest.raises(Invalid, match=message):
        templates.save_template(session=session, actor=staff, template_id=None, **values)
    session.rollback()
    assert templates.list_templates(session=session, actor=staff) == []


@pytest.mark.parametrize("who", ["outsider", "inactive"])
def test_a_default_assignee_must_be_an_active_person_of_the_firm(session, world, who):
    target = (
        world.outsider
        if who == "outsider"
        else make_user(session, world.firm, "staff", is_active=False)
    )
    session.commit()
    with pytest.raises(Invalid, match="Step 1 default assignee"):
        templates.save_template(
            session=session,
            actor=world.actor(session, world.staff),
            template_id=None,
            name="T",
            kind="Payroll",
            steps=[{"title": "Run payroll", "assignee_id": str(target.id)}],
        )


def test_another_firms_template_is_not_found_and_bookkeepers_are_refused(session, world):
    template_id = make_template(session, world)
    outsider = actor_for(world.outsider)
    assert templates.list_templates(session=session, actor=outsider) == []
    with pytest.raises(NotFound):
        templates.get_template(session=session, actor=outsider, template_id=template_id)
    with pytest.raises(NotFound):
        templates.delete_template(session=session, actor=outsider, template_id=template_id)
    with pytest.raises(NotFound):
        templates.create_filing(
            session=session,
            actor=outsider,
            client_id=world.outsider_client.id,
            kind="GST/HST",
            period="2026 Q2",
            due_date=DUE.isoformat(),
            template_id=str(template_id),
        )
    bookkeeper = world.actor(session, world.bk1)
    for call, kwargs in [
        (templates.list_templates, {}),
        (templates.get_template, {"template_id": template_id}),
        (templates.template_options, {}),
        (templates.delete_template, {"template_id": template_id}),
        (
            templates.save_template,
            {"template_id": None, "name": "X", "kind": "T1", "steps": [{"title": "t"}]},
        ),
    ]:
        with pytest.raises(Refused):
            call(session=session, actor=bookkeeper, **kwargs)


def test_deleting_an_unused_template_deletes_it_and_a_used_one_is_archived(session, world):
    staff = world.actor(session, world.staff)
    unused = make_template(session, world)
    used = make_template(session, world)
    made = templates.create_filing(
        session=session,
        actor=staff,
        client_id=world.client.id,
        kind="",
        period="2026 Q2",
        due_date=DUE.isoformat(),
        template_id=str(used),
    )
    session.commit()
    assert templates.delete_template(session=session, actor=staff, template_id=unused) == "deleted"
    assert templates.delete_template(session=session, actor=staff, template_id=used) == "archived"
    session.commit()
    assert templates.list_templates(session=session, actor=staff) == []
    assert session.get(Filing, made.filing_id).template_id == used
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.target_type == "template")
    ).all()
    assert {"template_created", "template_deleted", "template_archived"} <= set(actions)


def test_a_filing_from_a_template_gets_its_steps_dues_checklists_and_assignees(session, world):
    template_id = make_template(session, world)
    staff = world.actor(session, world.staff)
    dev = world.actor(session, world.bk2)
    with pytest.raises(NotFound):
        clients.load(session, dev, world.other_client.id)
    start = session.exec(select(AccessChange.id).order_by(AccessChange.id.desc())).first() or 0
    made = templates.create_filing(
        session=session,
        actor=staff,
        client_id=world.other_client.id,
        kind="Payroll",  # the template's kind wins
        period="2026 Q2",
        due_date=DUE.isoformat(),
        template_id=str(template_id),
        recurrence_value="quarterly",
    )
    session.commit()
    assert made.notes == []
    filing = session.get(Filing, made.filing_id)
    assert (filing.kind, filing.recurrence, filing.template_id) == (
        "GST/HST",
        "quarterly",
        template_id,
    )
    rows = session.exec(
        select(Step).where(Step.filing_id == filing.id).order_by(Step.position)
    ).all()
    assert [(s.title, s.due_date, s.assignee_id) for s in rows] == [
        ("Enter the quarter's bank transactions", DUE - timedelta(days=14), world.bk2.id),
        ("Review the return", DUE - timedelta(days=3), world.staff.id),
    ]
    assert rows[0].description == "From the bank statements."
    items = session.exec(
        select(ChecklistItem.label)
        .where(ChecklistItem.step_id == rows[0].id)
        .order_by(ChecklistItem.position)
    ).all()
    assert items == ["Download statements", "Enter deposits", "Enter withdrawals"]
    # The bookkeeper gained the client exactly as through a manual assignment: the ledger
    # says so, with the step added as the cause, and they were notified.
    assert clients.load(session, dev, world.other_client.id).id == world.other_client.id
    ledger = session.exec(select(AccessChange).where(AccessChange.id > start)).all()
    assert [(r.change, r.user_id, r.client_id, r.step_id, r.cause) for r in ledger] == [
        ("granted", world.bk2.id, world.other_client.id, rows[0].id, "step.added")
    ]
    assert access_changes.current(session, firm_id=world.firm.id) >= {
        (world.bk2.id, world.other_client.id, rows[0].id, filing.id)
    }
    notified = session.exec(
        select(Notification.user_id).where(Notification.step_id.in_([s.id for s in rows]))
    ).all()
    assert world.bk2.id in notified
    audit = session.exec(
        select(AuditEvent.action).where(AuditEvent.client_id == world.other_client.id)
    ).all()
    assert audit.count("step_created") == 2 and audit.count("step_assigned") == 2


def test_a_deactivated_default_assignee_leaves_the_step_unassigned_and_says_so(session, world):
    template_id = make_template(session, world)
    admin = world.actor(session, world.admin)
    team.set_active(session=session, actor=admin, user_id=world.bk2.id, active=False)
    session.commit()
    made = templates.create_filing(
        session=session,
        actor=world.actor(session, world.staff),
        client_id=world.client.id,
        kind="",
        period="2026 Q2",
        due_date=DUE.isoformat(),
        template_id=str(template_id),
    )
    session.commit()
    assert made.notes == [
        "“Enter the quarter's bank transactions” was left unassigned: Dev Books is "
        "deactivated and cannot be assigned work."
    ]
    rows = session.exec(
        select(Step).where(Step.filing_id == made.filing_id).order_by(Step.position)
    ).all()
    assert [s.assignee_id for s in rows] == [None, world.staff.id]
    view = templates.get_template(
        session=session, actor=world.actor(session, world.staff), template_id=template_id
    )
    assert view.steps[0].assignee_inactive


def test_a_refused_filing_from_a_template_writes_nothing(session, world):
    template_id = make_template(session, world)
    staff = world.actor(session, world.staff)
    before = len(session.exec(select(Filing.id)).all())
    with pytest.raises(Invalid, match="quarterly filing's period"):
        templates.create_filing(
            session=session,
            actor=staff,
            client_id=world.client.id,
            kind="",
            period="Spring",
            due_date=DUE.isoformat(),
            template_id=str(template_id),
            recurrence_value="quarterly",
        )
    session.rollback()
    assert len(session.exec(select(Filing.id)).all()) == before
