"""Fault injection: an unexpected failure in any handler becomes the page's catch-all message,
specific to what the person was doing, with a reference that is in the log.

The fault is injected the way the fail-closed tests do it: the unit of work every service
call runs in is made to raise, as a database outage would. Every handler on any role's list
is then run with plausible arguments. None may let the exception escape (Reflex would show
its generic "An error occurred" toast), and every one that reached the service layer must
say that nothing was saved and quote a reference that the log carries with the traceback.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
import reflex as rx

from portal import access, auth
from portal.services import runner
from state import calls, signin
from state import links as link_pages
from state import passkeys as passkey_state
from state.session import SessionState
from tests.support.app_handlers import all_handlers
from tests.support.handlers import page_state, run_handler
from tests.support.payloads import plausible_payload

REFERENCE = re.compile(r"reference ([A-Z2-9]{4}-[A-Z2-9]{4})")


class DatabaseDown(RuntimeError):
    """What the injected fault raises."""


def _role_for(key: str) -> access.Role:
    for role in (access.Role.BOOKKEEPER, access.Role.STAFF, access.Role.ADMIN):
        if key in access.EVENTS[role]:
            return role
    return access.Role.SIGNED_OUT


# Handlers that only open, close or remember something on the page (or read the URL, which
# these payloads leave empty): they never reach the service layer.
NO_SERVICE_CALL = {
    # Its plausible payload ("1") is no view: refused with a message before any service.
    "state.access_review.AccessReviewState.choose_view",
    "state.audit.AuditState.filter_client",
    "state.audit.AuditState.filter_person",
    # Only ask once more before ending a person's sessions, or step back.
    "state.bookkeepers.BookkeepersState.ask_end_sessions",
    "state.bookkeepers.BookkeepersState.keep_sessions",
    "state.settings.SettingsState.ask_end_sessions",
    "state.settings.SettingsState.keep_sessions",
    "state.client.ClientState.ask_delete",
    "state.client.ClientState.begin_upload",
    "state.client.ClientState.choose_upload_filing",
    "state.client.ClientState.close_compose",
    "state.client.ClientState.compose",
    "state.client.ClientState.compose_with_document",
    "state.client.ClientState.keep",
    "state.client.ClientState.load",
    "state.document_preview.DocumentPreviewState.load",
    "state.client.ClientState.reload_editor",
    "state.client.ClientState.upload_progress",
    "state.clients.ClientsState.toggle_add",
    # The import page: without an uploaded file there is nothing to read or import yet; the
    # upload itself reaches the service (its preview).
    "state.client_import.ClientImportState.load",
    "state.client_import.ClientImportState.begin_upload",
    "state.client_import.ClientImportState.set_mapping",
    "state.client_import.ClientImportState.choose_duplicates",
    "state.client_import.ClientImportState.set_skip_errors",
    "state.client_import.ClientImportState.start_over",
    "state.client_import.ClientImportState.run_import",
    "state.filing.FilingState.cancel_edit_step",
    "state.filing.FilingState.cancel_edit_time",
    "state.filing.FilingState.cancel_waiting",
    "state.filing.FilingState.load",
    "state.filing.FilingState.reload_editor",
    "state.filing.FilingState.start_edit_time",
    "state.session.SessionState.dismiss_unsent",
    # Hands the browser's answer to what the server asked of it; does nothing unasked.
    "state.session.SessionState.answer",
    "state.signin.SignInState.load",
    # Only switches the code step's field, or goes back to the password step.
    "state.signin.SignInState.toggle_recovery",
    "state.signin.SignInState.start_again",
    # Without a password step that opened a challenge, it has nothing to check.
    "state.signin.SignInState.verify_code",
    # Forgets the recovery codes shown once; loads and changes nothing.
    "state.security.SecurityState.dismiss_codes",
    # Only clears the form's messages.
    "state.links.ForgotPasswordState.load",
    "state.task.TaskState.cancel_edit_time",
    "state.task.TaskState.cancel_waiting",
    "state.task.TaskState.load",
    "state.task.TaskState.start_edit_time",
    # Only open or close a passkey's rename form or its removal question.
    "state.passkeys.PasskeysState.start_rename",
    "state.passkeys.PasskeysState.cancel_rename",
    "state.passkeys.PasskeysState.ask_remove",
    "state.passkeys.PasskeysState.keep",
    # Without a password step that opened a challenge, there is no passkey to ask for.
    "state.signin.SignInState.use_passkey",
    # The template editor's rows live in the page until saved; asking before a delete.
    "state.templates.TemplatesState.add_step_row",
    "state.templates.TemplatesState.remove_step_row",
    "state.templates.TemplatesState.move_step_row",
    "state.templates.TemplatesState.close_editor",
    "state.templates.TemplatesState.ask_delete",
    "state.templates.TemplatesState.keep",
}

HANDLERS = sorted(
    key
    for key in all_handlers()
    if not key.startswith("reflex.")
    and not access.denied_to_all(key)
    and any(key in access.EVENTS[role] for role in access.Role)
)


# What a real form of this app sends beside the typed fields, so every form handler gets as
# far as its service call.
FORM_EXTRAS = {
    "_token": "token-1",
    "step_id": "1",
    "filing_id": "1",
    "entry_id": "1",
    "passkey_id": "1",
    "work_date": "2026-04-02",
    "label": "Deposits",
    "kind": "GST/HST",
    "period": "Q1 2026",
}


def _payload(cls, name: str) -> dict:
    if name == "upload":
        return {"files": [rx.UploadFile(file=io.BytesIO(b"%PDF-1.4\n"), path=Path("a.pdf"))]}
    payload = plausible_payload(cls, name)
    for arg, value in payload.items():
        if isinstance(value, dict):
            payload[arg] = {**value, **FORM_EXTRAS}
        elif arg in ("expected", "user_id", "value"):
            payload[arg] = "1"
    return payload


@pytest.mark.parametrize("key", HANDLERS)
def test_an_unexpected_failure_in_any_handler_is_a_clear_message_with_a_reference(
    key, monkeypatch, caplog
):
    cls, name = all_handlers()[key]
    role = _role_for(key)
    calls_made = []

    def broken_unit_of_work():
        calls_made.append(name)
        raise DatabaseDown("the database is unreachable")

    monkeypatch.setattr(runner, "unit_of_work", broken_unit_of_work)
    monkeypatch.setattr(runner, "reading", broken_unit_of_work)
    monkeypatch.setattr(signin, "unit_of_work", broken_unit_of_work)
    monkeypatch.setattr(link_pages, "unit_of_work", broken_unit_of_work)
    monkeypatch.setattr(passkey_state, "unit_of_work", broken_unit_of_work)
    auth.set_acting(
        None
        if role is access.Role.SIGNED_OUT
        else auth.Actor(
            user_id=1,
            firm_id=1,
            role=str(role),
            name="Pat Person",
            email="pat@firm.example",
            session_id=1,
            must_change_password=False,
        )
    )
    state = page_state(cls)
    for private in ("_client_id", "_filing_id", "_step_id"):
        if private in type(state).__fields__:
            setattr(state, private, 1)
    caplog.set_level(logging.ERROR, logger="portal.pages")

    returned = run_handler(state, name, **_payload(cls, name))

    if not calls_made:
        assert key in NO_SERVICE_CALL, f"{key} reached no service call: fix its payload here"
        return
    if key == "state.session.SessionState.enter_page":
        # Its one call, the header's unread count, must never stop a page: the count reads
        # 0 and the failure is in the log with its reference; the page's loader says the rest.
        assert state.unread == 0
        message = caplog.text
    elif key == "state.session.SessionState.sign_out":
        # The browser still signs out: the route the script calls ends the session again.
        assert "auth/sign-out" in str(returned)
        message = caplog.text
    else:
        message = state.error
        assert "nothing was saved" in message or "could not" in message.lower(), message
    found = REFERENCE.search(message)
    assert found, f"{key}: no reference in {message!r}"
    logged = [r for r in caplog.records if found.group(1) in r.getMessage()]
    assert logged and isinstance(logged[0].exc_info[1], DatabaseDown), key


def test_the_message_names_what_the_person_was_doing(monkeypatch):
    def broken_unit_of_work():
        raise DatabaseDown("the database is unreachable")

    monkeypatch.setattr(runner, "unit_of_work", broken_unit_of_work)
    monkeypatch.setattr(runner, "reading", broken_unit_of_work)
    from portal.services import steps
    from state.task import TaskState

    auth.set_acting(auth.Actor(1, 1, "bookkeeper", "Kim Osei", "kim@firm.example", 1, False))
    state = page_state(TaskState)
    state._step_id = 1
    run_handler(
        state,
        "log_time",
        form={"step_id": "1", "minutes": "40", "work_date": "2026-04-02", "_token": "t"},
    )
    assert state.error.startswith("Something went wrong saving your time entry; nothing was saved.")
    assert calls.DOING[calls.operation(steps.log_time)] == "saving your time entry"


def test_every_operation_a_page_submits_has_words_for_its_failure():
    """A new service call without words would fall back to "loading this page"."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "state"
    named = set()
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in (
                "_act",
                "_act_async",
                "_submit",
            ):
                for arg in node.args:
                    if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name):
                        named.add(f"{arg.value.id}.{arg.attr}")
    aliases = {"filing_service": "filings"}
    missing = sorted(
        op
        for op in (f"{aliases.get(mod, mod)}.{fn}" for mod, fn in (n.split(".") for n in named))
        if op not in calls.DOING
    )
    assert missing == []


def test_a_failure_outside_any_service_call_is_a_clear_toast_with_a_reference(caplog):
    caplog.set_level(logging.ERROR, logger="portal.pages")
    event = calls.on_unexpected(ZeroDivisionError("a bug in a page state"))
    text = str(event)
    assert "An error occurred" not in text
    found = REFERENCE.search(text)
    assert found and found.group(1) in caplog.text


def test_session_state_is_the_parent_of_every_page_state():
    """The catch-all lives in the page base: every page state must inherit it."""
    for key in HANDLERS:
        cls, _ = all_handlers()[key]
        assert issubclass(cls, SessionState), key
