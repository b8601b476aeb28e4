"""The Templates page and the client page's "from template", through their real page states:
rows moved in the editor are saved in the order shown, with what was typed in each row; a
double submit saves once; a filing from a template arrives with its steps assigned."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from models import Filing, FilingTemplate, Step
from portal import auth
from portal.services import templates
from state.client import ClientState
from state.templates import TemplatesState
from tests.support.handlers import page_state, run_handler

DUE = (date.today() + timedelta(days=45)).isoformat()


def as_user(session, world, user):
    actor = world.actor(session, user)
    session.commit()
    auth.set_acting(actor)
    return actor


def editor_form(state, typed: list[dict], **fields) -> dict:
    form = {"_token": "token-1", "_form": "template-editor", **fields}
    for row, values in zip(state.rows, typed, strict=True):
        for name, value in values.items():
            form[f"{name}-{row.uid}"] = value
    return form


def test_rows_added_and_moved_are_saved_in_the_order_shown_and_once(session, world):
    as_user(session, world, world.staff)
    state = page_state(TemplatesState)
    run_handler(state, "load")
    run_handler(state, "new_template")
    assert state.editing and len(state.rows) == 1
    run_handler(state, "add_step_row")
    first, second = state.rows
    # What the person typed stays with its row (the fields are keyed by the row's id).
    typed = {
        first.uid: {"title": "Review", "assignee": str(world.staff.id), "offset": "-2"},
        second.uid: {"title": "Enter", "assignee": str(world.bk1.id), "offset": "-10"},
    }
    run_handler(state, "move_step_row", uid=second.uid, direction="up")
    assert [r.uid for r in state.rows] == [second.uid, first.uid]
    state.submit_token = "token-1"
    form = editor_form(state, [typed[r.uid] for r in state.rows], name="Q", kind="GST/HST")
    run_handler(state, "save_template", form=form)
    assert state.notice == "Template saved." and state.error == "" and not state.editing
    run_handler(state, "save_template", form=form)  # the same click again
    assert len(session.exec(select(FilingTemplate)).all()) == 1
    [shown] = state.templates
    assert [(s.title, s.due_offset_days) for s in shown.steps] == [("Enter", -10), ("Review", -2)]


def test_a_refused_save_keeps_the_editor_open_with_a_message(session, world):
    as_user(session, world, world.staff)
    state = page_state(TemplatesState)
    run_handler(state, "load")
    run_handler(state, "new_template")
    state.submit_token = "token-1"
    form = editor_form(state, [{"title": "", "offset": "0"}], name="Q", kind="GST/HST")
    run_handler(state, "save_template", form=form)
    assert state.error == "Step 1 needs a title." and state.editing
    assert session.exec(select(FilingTemplate)).all() == []


def test_a_filing_from_a_template_on_the_client_page_has_its_steps_assigned(session, world):
    actor = as_user(session, world, world.staff)
    template_id = templates.save_template(
        session=session,
        actor=actor,
        template_id=None,
        name="Payroll monthly",
        kind="Payroll",
        steps=[
            {"title": "Collect hours", "assignee_id": str(world.bk2.id), "due_offset_days": "-5"},
            {"title": "Run payroll", "assignee_id": str(world.staff.id)},
        ],
    )
    session.commit()
    state = page_state(ClientState)
    state._client_id = world.other_client.id
    state._refresh()
    run_handler(state, "toggle_add_filing")
    assert [o.label for o in state.template_options] == ["Payroll monthly (Payroll)"]
    state.submit_token = "token-1"
    form = {
        "_token": "token-1",
        "_form": "new-filing",
        "kind": "GST/HST",
        "period": "2026-07",
        "due_date": DUE,
        "template_id": str(template_id),
        "recurrence": "monthly",
    }
    returned = run_handler(state, "create_filing", form=form)
    filing = session.exec(select(Filing).where(Filing.client_id == world.other_client.id)).one()
    assert f"/filings/{filing.id}" in str(returned)
    assert (filing.kind, filing.recurrence) == ("Payroll", "monthly")
    rows = session.exec(select(Step).where(Step.filing_id == filing.id).order_by(Step.position))
    assert [(s.title, s.assignee_id) for s in rows] == [
        ("Collect hours", world.bk2.id),
        ("Run payroll", world.staff.id),
    ]
