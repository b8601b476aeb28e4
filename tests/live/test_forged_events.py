"""Forged events over the real websocket: every handler a role may not use is refused,
audited, and changes nothing in the server state or the database."""

from __future__ import annotations

import pytest
import websockets

from portal import access
from portal.demo import BOOKKEEPER_PASSWORD
from tests.support.app_handlers import all_handlers, event_name
from tests.support.live import sign_in_cookie
from tests.support.payloads import plausible_payload
from tests.support.reflex_socket import ReflexSocket, run_async
from tests.support.snapshot import audit_rows, last_audit_id, snapshot

pytestmark = pytest.mark.live

REFUSAL_TOAST = "available to you"


def visible_state(sock: ReflexSocket) -> dict:
    """What the browser holds, minus the per-connection router data."""
    return {
        state: {k: v for k, v in values.items() if not k.startswith("rx_router")}
        for state, values in sock.merged_delta().items()
    }


async def forge_all(live_app, handlers, role: access.Role, cookie: str, path: str):
    forbidden = sorted(k for k in handlers if not access.event_allowed(role, k))
    assert forbidden, "expected handlers this role may not use"

    sock = ReflexSocket(live_app.base_url, cookie=cookie)
    await sock.connect(path)
    before_state = visible_state(sock)
    before_db = snapshot(live_app.database_url)
    audit_from = last_audit_id(live_app.database_url)

    answers = {}
    for key in forbidden:
        cls, name = handlers[key]
        answers[key] = await sock.call(
            event_name(cls, name), plausible_payload(cls, name), path=path
        )
    await sock.close()

    # Reconnect with the same tab token: the server's state for this tab is unchanged.
    again = ReflexSocket(live_app.base_url, cookie=cookie)
    again.token = sock.token
    await again.connect(path)
    after_state = visible_state(again)
    await again.close()
    return forbidden, answers, before_state, after_state, before_db, audit_from


def check_refusals(
    live_app, forbidden, answers, before_state, after_state, before_db, audit_from, expect_event
):
    problems = []
    for key in forbidden:
        updates = answers[key]
        if any(u.delta for u in updates):
            problems.append(f"{key}: the server sent a state delta")
        if not any(expect_event(e) for u in updates for e in u.events):
            problems.append(f"{key}: no refusal came back ({updates})")
    assert problems == []
    refusals = sum(
        1 for key in forbidden for u in answers[key] for e in u.events if expect_event(e)
    )
    assert refusals == len(forbidden), "each forged event must get exactly one refusal"
    assert after_state == before_state
    assert snapshot(live_app.database_url) == before_db
    audited = [row["detail"] for row in audit_rows(live_app.database_url, audit_from)]
    missing = [key for key in forbidden if key not in audited]
    assert missing == [], f"refusals missing from the audit log: {missing}"


def test_a_bookkeeper_cannot_reach_any_handler_off_their_list(live_app):
    cookie = sign_in_cookie(live_app, "bea@demo-practice.example", BOOKKEEPER_PASSWORD)
    result = run_async(
        forge_all, live_app, all_handlers(), access.Role.BOOKKEEPER, cookie, "/tasks"
    )
    forbidden, *_ = result

    def is_toast(event):
        return event.get("name") == "_call_function" and REFUSAL_TOAST in str(event)

    check_refusals(live_app, *result, expect_event=is_toast)
    assert "state.home.HomeState.load" in forbidden
    assert "state.signin.SignInState.sign_in" in forbidden


def test_a_signed_out_visitor_cannot_reach_any_handler_off_their_list(live_app):
    result = run_async(forge_all, live_app, all_handlers(), access.Role.SIGNED_OUT, "", "/login")
    forbidden, *_ = result

    def is_redirect_to_sign_in(event):
        return event.get("name") == "_redirect" and "/login" in str(event.get("payload"))

    check_refusals(live_app, *result, expect_event=is_redirect_to_sign_in)
    assert "state.tasks.TasksState.load" in forbidden
    assert "state.session.SessionState.sign_out" in forbidden


def test_a_cross_site_page_cannot_open_the_event_socket(live_app):
    cookie = sign_in_cookie(live_app, "bea@demo-practice.example", BOOKKEEPER_PASSWORD)

    async def attempt():
        sock = ReflexSocket(live_app.base_url, cookie=cookie, origin="https://evil.example")
        await sock.connect("/tasks")

    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        run_async(attempt)
    assert refused.value.response.status_code == 403
