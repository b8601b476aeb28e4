"""What the server asks the browser to do: a named action from a fixed table, never code.

Reflex runs a server-sent `rx.call_script` / `rx.call_function`, their callbacks, and a toast
sent from the server (`rx.toast`) with `eval()` in its utils/state.js; the page's
Content-Security-Policy would have to allow that with 'unsafe-eval'. The portal sends none
of them. The browser's side is assets/portal.js, loaded from the head of every page: it owns
the table of actions (ACTIONS). The server asks for one with Reflex's plain `_set_value`
event on a hidden input every page carries (pages/browser.py), whose value is JSON text
{name, args}: data, never run, and a name outside the table does nothing.

An action that answers (what was typed, a passkey) answers through a hidden form whose submit
is `SessionState.answer`. The server keeps, in an underscore var of the tab's state, which
action it asked and which handler takes its answer (`expect`); the browser's answer only
names the action, and an answer to something not asked, or asked and already answered, is
dropped.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from reflex.state import BaseState
from reflex_base.event import EventSpec

from portal import routes

# The hidden elements of every page (pages/browser.py) that assets/portal.js works with.
ASK_INPUT = "portal-ask"
ANSWER_FORM = "portal-answer"
TOAST_BUTTON = "portal-toast"

# assets/portal.js's table, name for name. The ones marked True answer.
ACTIONS = {
    "handoff": False,
    "sign_out": False,
    "reset_form": False,
    "clean_address": False,
    "typed_now": True,
    "toast": False,
    "press": False,
    "passkey_create": True,
    "passkey_get": True,
}

# The longest answer taken (a passkey's credential is the largest).
MAX_ANSWER_CHARS = 200_000


def ask(name: str, **args: Any) -> EventSpec:
    """Have the browser run one action of assets/portal.js with these arguments (data)."""
    if name not in ACTIONS:
        raise ValueError(f"no browser action {name!r}")
    return rx.set_value(ASK_INPUT, json.dumps({"name": name, "args": args}, ensure_ascii=False))


def asked(event: Any) -> dict | None:
    """The action an event sent to the browser asks for ({name, args}), or None (tests)."""
    if isinstance(event, EventSpec):
        payload = {str(k): v for k, v in event.args}
        name = event.handler.fn.__qualname__
        value = payload.get("value")
        value = getattr(value, "_var_value", None) if value is not None else None
        if name != "_set_value" or value is None:
            return None
    else:
        if event.get("name") != "_set_value":
            return None
        value = (event.get("payload") or {}).get("value")
    try:
        found = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return found if isinstance(found, dict) and found.get("name") in ACTIONS else None


def handoff(code: str, next_path: str) -> EventSpec:
    """Exchange the one-time code for the HttpOnly cookie, then load the landing page."""
    return ask(
        "handoff",
        url=routes.AUTH_SESSION,
        code=code,
        next=next_path,
        failed=routes.LOGIN + "?reason=invalid",
    )


def sign_out() -> EventSpec:
    """The sign-out route ends the session and clears the cookie; then the sign-in page."""
    return ask("sign_out", url=routes.AUTH_SIGN_OUT, then=routes.LOGIN + "?reason=signed_out")


def reset_form(form_id: str) -> EventSpec:
    return ask("reset_form", id=form_id)


def clean_address() -> EventSpec:
    """The address without its query (an emailed link's token), keeping the page."""
    return ask("clean_address")


def typed_now() -> EventSpec:
    """Read the page's filled-in text fields; the answer is [[name, text], ...]."""
    return ask("typed_now")


def toast(
    title: str,
    *,
    level: str = "error",
    description: str = "",
    duration: int | None = None,
    position: str | None = None,
) -> EventSpec:
    """A toast, as `rx.toast.<level>` would show it, without sending code."""
    return ask(
        "toast",
        level=level,
        title=title,
        description=description,
        duration=duration,
        position=position,
    )


def press(button_id: str) -> EventSpec:
    """Click a hidden button the page built for this (pages/browser.py `pressable`): for
    Reflex's helpers that exist only in the compiled page, like clearing an upload's files."""
    return ask("press", id=button_id)


def passkey(kind: str, options: str) -> EventSpec:
    """Ask the authenticator (assets/passkeys.js): "create" or "get", with the options as
    JSON text. The answer is {ok, credential} or {ok: false, reason}."""
    return ask(f"passkey_{kind}", options=options)


def _session_root(state: BaseState) -> BaseState:
    """The tab's SessionState: the state right below Reflex's root."""
    while state.parent_state is not None and state.parent_state.parent_state is not None:
        state = state.parent_state
    return state


def expect(state: BaseState, name: str, taker: type[BaseState], method: str) -> None:
    """The browser owes an answer to `name`: hand it to `taker.method` (a private method,
    never an event the browser could call itself), once."""
    if (
        not ACTIONS.get(name)
        or not method.startswith("_")
        or not callable(getattr(taker, method, None))
    ):
        raise ValueError(f"{name!r} cannot be answered to {taker.__name__}.{method}")
    root = _session_root(state)
    root._awaiting = {**root._awaiting, name: f"{taker.get_full_name()}:{method}"}


def ask_and_expect(
    state: BaseState, name: str, taker: type[BaseState], method: str, **args: Any
) -> EventSpec:
    expect(state, name, taker, method)
    return ask(name, **args)


def claim(state: BaseState, name: str) -> tuple[type[BaseState], str] | None:
    """The handler owed the answer to `name`, once; None when nothing asked for it."""
    root = _session_root(state)
    awaiting = dict(root._awaiting)
    target = awaiting.pop(str(name), "")
    if not target:
        return None
    root._awaiting = awaiting
    full_name, _, method = target.rpartition(":")
    try:
        taker = rx.State.get_class_substate(full_name)
    except ValueError:
        return None
    return taker, method


def decode(value: Any) -> Any:
    """An answer's value: JSON text, at most MAX_ANSWER_CHARS; anything else is None."""
    text = str(value or "")
    if len(text) > MAX_ANSWER_CHARS:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
