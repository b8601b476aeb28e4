"""The server asks the browser for named actions, never code (portal/browser.py,
assets/portal.js), so the page's policy needs no 'unsafe-eval'; and an answer reaches only
the handler the server named when it asked, once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from portal import browser
from state.session import SessionState
from tests.support.handlers import page_state, run_handler

ROOT = Path(__file__).resolve().parents[1]


def _portal_js_actions() -> set[str]:
    text = (ROOT / "assets" / "portal.js").read_text()
    table = re.search(r"const ACTIONS = Object\.freeze\(\{(.*?)\}\);", text, re.S).group(1)
    return set(re.findall(r"^\s*(\w+)\s*[:,]", table, re.M))


def test_the_server_asks_only_for_actions_the_browser_script_has():
    assert _portal_js_actions() == set(browser.ACTIONS)
    with pytest.raises(ValueError):
        browser.ask("eval", code="alert(1)")


def test_an_ask_is_data_on_the_hidden_input_never_code():
    spec = browser.handoff("the-code", "/tasks")
    assert spec.handler.fn.__qualname__ == "_set_value"
    found = browser.asked(spec)
    assert found == {
        "name": "handoff",
        "args": {
            "url": "/auth/session",
            "code": "the-code",
            "next": "/tasks",
            "failed": "/login?reason=invalid",
        },
    }
    # A message with quotes and script-like text stays text.
    toast = browser.asked(browser.toast('It\'s <b>"done"</b>; alert(1)'))
    assert toast["args"]["title"] == 'It\'s <b>"done"</b>; alert(1)'


# Server-sent code: what Reflex runs with eval() in the browser. Pages may use rx.toast and
# rx.run_script in their own event triggers (compiled into the page, never eval'd).
SERVER_SENT_CODE = re.compile(
    r"rx\.(call_script|call_function|run_script|toast|window_alert|console_log|"
    r"set_clipboard|scroll_to|clear_selected_files|cancel_upload)(\.\w+)?\("
)


def test_no_state_or_service_sends_the_browser_code():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("state", "portal")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if SERVER_SENT_CODE.search(line)
    ]
    assert offenders == []


def _ended_page() -> SessionState:
    state = page_state(SessionState)
    state.page_status = "access_ended"
    return state


TYPED = [["body", "My unsent comment"], ["minutes", "30"]]


def _answer(state, name: str, value) -> None:
    run_handler(state, "answer", form={"name": name, "value": json.dumps(value)})


def test_an_answer_nobody_asked_for_does_nothing():
    state = _ended_page()
    _answer(state, "typed_now", TYPED)
    assert state.unsent == []


def test_the_answer_to_what_was_asked_reaches_its_handler_once():
    state = _ended_page()
    browser.expect(state, "typed_now", SessionState, "_keep_typed")
    # An answer to something else is dropped, and leaves the ask open.
    _answer(state, "passkey_get", {"ok": True})
    assert state.unsent == []
    _answer(state, "typed_now", TYPED)
    assert [(u.label, u.text) for u in state.unsent] == [
        ("Your message", "My unsent comment"),
        ("Time spent", "30"),
    ]
    state.unsent = []
    _answer(state, "typed_now", TYPED)
    assert state.unsent == []


def test_an_answer_goes_only_to_a_private_method_the_server_named():
    state = _ended_page()
    with pytest.raises(ValueError):
        browser.expect(state, "typed_now", SessionState, "sign_out")
    with pytest.raises(ValueError):
        browser.expect(state, "handoff", SessionState, "_keep_typed")
    assert state._awaiting == {}


def test_a_malformed_or_oversized_answer_is_no_answer():
    state = _ended_page()
    browser.expect(state, "typed_now", SessionState, "_keep_typed")
    run_handler(state, "answer", form={"name": "typed_now", "value": "not json"})
    assert state.unsent == []
    browser.expect(state, "typed_now", SessionState, "_keep_typed")
    big = json.dumps([["body", "x" * browser.MAX_ANSWER_CHARS]])
    run_handler(state, "answer", form={"name": "typed_now", "value": big})
    assert state.unsent == []
