"""The page rules, run through the real page states against a real database: a repeat of a
submission is one submission and no false error, a refusal keeps what was typed, a conflict
names who changed what and reloads with the person's entries beside, and when access ends
mid-task what the person typed is shown back with the reason."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from models import Client, LoginSession, QueuedMail, StepComment, TimeEntry, User
from portal import auth, browser
from portal.services import filings, steps
from state.bookkeepers import BookkeepersState
from state.client import ClientState
from state.clients import ClientsState
from state.filing import FilingState
from state.signin import SignInState
from state.task import TaskState
from tests.factories import PASSWORD
from tests.support.handlers import page_state, run_handler

TODAY = date.today().isoformat()


def as_user(session, world, user):
    actor = world.actor(session, user)
    session.commit()
    auth.set_acting(actor)
    return actor


def task_page(session, world):
    as_user(session, world, world.bk1)
    state = page_state(TaskState)
    state._step_id = world.step.id
    state._refresh()
    state.submit_token = "token-1"
    return state


def time_form(world, **fields):
    return {
        "_token": "token-1",
        "_form": f"log-time-{world.step.id}",
        "step_id": str(world.step.id),
        "minutes": "40",
        "work_date": TODAY,
        "note": "Reconciled the March deposits",
        **fields,
    }


def test_a_double_submit_logs_time_once_and_says_nothing_false(session, world):
    state = task_page(session, world)
    form = time_form(world)
    first = run_handler(state, "log_time", form=form)
    assert state.notice == "Time logged." and state.error == ""
    # The form is cleared only now, after the success (portal.js's reset_form).
    assert (browser.asked(first) or {}).get("name") == "reset_form"
    run_handler(state, "log_time", form=form)  # the same click, arriving again
    assert state.notice == "Time logged." and state.error == ""
    assert len(session.exec(select(TimeEntry)).all()) == 1
    assert state.submit_token != "token-1"  # renewed: the next submission is a new one


def test_a_refusal_keeps_the_form_as_typed(session, world):
    state = task_page(session, world)
    returned = run_handler(
        state,
        "add_comment",
        form={
            "_token": "token-1",
            "_form": "comment-form-1",
            "step_id": str(world.step.id),
            "body": "x" * 6000,
        },
    )
    assert state.error == "Comment can be at most 5000 characters."
    assert returned is None  # no reset of the form: the 6,000 characters stay in it
    assert session.exec(select(StepComment)).all() == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("reassign", "The task was reassigned to someone else."),
        ("file", "Its filing was filed."),
        ("cancel", "Its filing was cancelled."),
    ],
)
def test_when_access_ends_mid_task_the_typed_text_is_shown_back(session, world, change, reason):
    state = task_page(session, world)
    staff = world.actor(session, world.staff)
    if change == "reassign":
        steps.assign_step(
            session=session, actor=staff, step_id=world.step.id, assignee_id=world.bk2.id
        )
    else:
        filings.change_status(
            session=session, actor=staff, filing_id=world.filing.id, action=change
        )
    session.commit()
    run_handler(state, "log_time", form=time_form(world))
    assert state.page_status == "access_ended"
    assert state.ended_reason == reason
    assert {(u.label, u.text) for u in state.unsent} >= {
        ("Time spent", "40"),
        ("Note", "Reconciled the March deposits"),
    }
    # Nothing of the task is left on the page, and nothing was written.
    assert state.step.title == "" and state.client.name == ""
    assert session.exec(select(TimeEntry)).all() == []


def test_a_comment_on_a_client_whose_access_ended_is_shown_back(session, world):
    as_user(session, world, world.bk1)
    state = page_state(ClientState)
    state._client_id = world.client.id
    state._refresh()
    staff = world.actor(session, world.staff)
    filings.change_status(session=session, actor=staff, filing_id=world.filing.id, action="file")
    session.commit()
    body = "Here is what the bank said:\n\n" + "line\n" * 200
    run_handler(
        state,
        "post_thread",
        form={"_token": "t", "filing_id": str(world.filing.id), "body": body},
    )
    assert state.page_status == "access_ended"
    assert [u.text for u in state.unsent] == [body.strip()] or [u.text for u in state.unsent] == [
        body
    ]


def test_a_double_click_on_create_client_makes_one_and_goes_to_it(session, world):
    as_user(session, world, world.staff)
    state = page_state(ClientsState)
    form = {"_token": "token-1", "name": "Golden Crust Bakery", "contact_email": ""}
    first = run_handler(state, "create", form=form)
    again = run_handler(state, "create", form=form)
    created = session.exec(select(Client).where(Client.name == "Golden Crust Bakery")).all()
    assert len(created) == 1
    assert f"/clients/{created[0].id}" in str(first) and f"/clients/{created[0].id}" in str(again)
    assert state.error == ""


def test_a_sign_in_page_opens_one_session_whatever_token_its_repeat_carries(session, world):
    state = page_state(SignInState)
    form = {"_token": "", "email": world.admin.email, "password": PASSWORD}
    first = run_handler(state, "sign_in", form_data=form)  # sent before the page had a token
    assert "/auth/session" in str(first)
    assert run_handler(state, "sign_in", form_data=form) == []  # the same click again
    assert run_handler(state, "sign_in", form_data={**form, "_token": "token-2"}) == []
    opened = session.exec(select(LoginSession).where(LoginSession.user_id == world.admin.id))
    assert len(opened.all()) == 1
    assert state.error == ""


def test_a_double_click_on_add_bookkeeper_sends_one_invitation(session, world):
    as_user(session, world, world.admin)
    state = page_state(BookkeepersState)
    form = {"_token": "token-1", "name": "Kim Osei", "email": "kim@alpha.example"}
    run_handler(state, "create_login", form=form)
    said = state.notice
    assert said.startswith("Invitation sent to kim@alpha.example. The link works once, until")
    run_handler(state, "create_login", form=form)
    assert (state.notice, state.error) == (said, "")
    [kim] = session.exec(select(User).where(User.email == "kim@alpha.example")).all()
    assert len(session.exec(select(QueuedMail).where(QueuedMail.user_id == kim.id)).all()) == 1
    # The page has no password to hold or show.
    assert "shown_password" not in type(state).__fields__


def test_a_conflict_names_who_and_reloads_with_the_persons_entries_beside(session, world):
    as_user(session, world, world.staff)
    state = page_state(FilingState)
    state._filing_id = world.filing.id
    run_handler(state, "toggle_edit_filing")
    assert state.editing_filing
    # Meanwhile Ada changes the period.
    ada = world.actor(session, world.admin)
    seen = filings.edit_values(
        filings.get_filing(session=session, actor=ada, filing_id=world.filing.id)
    )
    filings.update_filing(
        session=session,
        actor=ada,
        filing_id=world.filing.id,
        **{**seen, "period": "Q2 2026"},
        seen=seen,
    )
    session.commit()
    form = {
        "_token": state.submit_token,
        "kind": seen["kind"],
        "period": "Q3 2026",
        "due_date": seen["due_date"],
    }
    run_handler(state, "save_filing", form=form)
    assert state.error.startswith("Ada Admin changed this filing")
    assert "Period is now “Q2 2026”" in state.error
    assert state.editing_filing and state.conflict_editor == "filing"
    rev = state.editor_rev
    run_handler(state, "reload_editor")
    assert state.filing.period == "Q2 2026"  # the fresh record
    assert state.mine == {"period": "Q3 2026"}  # the person's own entry, beside it
    assert state.editor_rev == rev + 1 and state.error == ""
    # Saving again now is deliberate, and over what the reload showed.
    form["_token"] = state.submit_token
    run_handler(state, "save_filing", form=form)
    assert state.error == "" and not state.editing_filing
    session.expire_all()
    assert filings.get_filing(session=session, actor=ada, filing_id=world.filing.id).period == (
        "Q3 2026"
    )


def test_opening_an_editor_again_after_a_conflict_shows_fresh_data(session, world):
    """Cancel then Edit used to reopen the stale values."""
    as_user(session, world, world.staff)
    state = page_state(ClientState)
    state._client_id = world.client.id
    state._refresh()
    ada = world.actor(session, world.admin)
    from portal.services import clients

    seen = clients.edit_values(clients.info(session.get(Client, world.client.id)))
    clients.update_client(
        session=session,
        actor=ada,
        client_id=world.client.id,
        form={**seen, "phone": "416-555-0000"},
        seen=seen,
    )
    session.commit()
    run_handler(state, "toggle_edit")
    assert state.info.phone == "416-555-0000"


def test_a_reload_after_a_conflict_keeps_every_entry_the_person_changed(session, world):
    """The reload shows every field fresh: an entry that did not clash goes beside it too,
    or it would be lost without a word."""
    as_user(session, world, world.staff)
    state = page_state(FilingState)
    state._filing_id = world.filing.id
    run_handler(state, "toggle_edit_filing")
    ada = world.actor(session, world.admin)
    seen = filings.edit_values(
        filings.get_filing(session=session, actor=ada, filing_id=world.filing.id)
    )
    filings.update_filing(
        session=session,
        actor=ada,
        filing_id=world.filing.id,
        **{**seen, "period": "Q2 2026"},
        seen=seen,
    )
    session.commit()
    form = {
        "_token": state.submit_token,
        "kind": seen["kind"],
        "period": "Q3 2026",
        "due_date": "2031-03-31",
    }
    run_handler(state, "save_filing", form=form)
    assert "Period is now “Q2 2026”" in state.error
    run_handler(state, "reload_editor")
    assert state.filing.due_iso == seen["due_date"]  # nobody else changed it: still as it was
    assert state.mine == {"period": "Q3 2026", "due_date": "2031-03-31"}


def test_a_tick_updates_only_its_line_without_reloading_the_page(session, world):
    """The hottest event: one scoped load and one write, then the page changes one line."""
    from sqlalchemy import event

    from portal.db import get_engine

    state = task_page(session, world)
    item = state.step.checklist[0]
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        run_handler(state, "tick", item_id=item.id, done=True)
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    assert [e.is_done for e in state.step.checklist] == [True, False]
    assert state.step.checklist[0].done_by == "Bea Books" and state.step.checklist_done == 1
    assert len(statements) <= 2, statements


def test_sorting_my_tasks_keeps_the_counters_and_choices_it_loaded(session, world):
    from state.tasks import TasksState

    as_user(session, world, world.bk1)
    state = page_state(TasksState)
    run_handler(state, "load")
    loaded = (state.assigned, state.due_soon, state.overdue, list(state.client_options))
    assert state.assigned > 0 and state.client_options
    run_handler(state, "sort_by", value="client")
    run_handler(state, "filter_status", value="done")
    assert (state.assigned, state.due_soon, state.overdue, list(state.client_options)) == loaded
    assert state.rows == [] and state.total == 0  # no done task: the list itself is read


def test_a_reconnect_keeps_the_answer_to_the_sign_in_just_tried(session, world):
    """A socket that reconnects rehydrates the page and runs its load again; the message for
    the try just made must stay (it was lost that way on two workers), an old one goes."""
    state = page_state(SignInState)
    state.router_data = {"query": {}}
    answers = list(
        run_handler(
            state,
            "sign_in",
            form_data={"email": world.bk1.email, "password": "not it", "_token": "t1"},
        )
        or []
    )
    assert state.error == "The email or password is incorrect.", answers
    run_handler(state, "load")
    assert state.error == "The email or password is incorrect."
    state._error_at -= 3600
    run_handler(state, "load")
    assert state.error == ""
