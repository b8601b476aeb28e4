"""Running a page state's event handler in this process, without a browser or a socket.

The state tree is built as Reflex builds it for one tab; the handler's function is called
with the payload the browser would send, whatever kind of function it is.
"""

from __future__ import annotations

import inspect
from typing import Any

import reflex as rx
from reflex.state import State

import portal.portal  # noqa: F401  (registers every page and state)
from tests.support.aio import run_sync


def page_state(cls: type[rx.State]) -> rx.State:
    root = State(_reflex_internal_init=True)
    return root.get_substate(cls.get_full_name().split(".")[1:])


async def _drain(agen) -> list[Any]:
    return [item async for item in agen]


_run = run_sync


def run_handler(state: rx.State, name: str, /, **payload: Any) -> Any:
    """Call one handler as Reflex would; returns what it returned or yielded."""
    result = type(state).event_handlers[name].fn(state, **payload)
    if inspect.iscoroutine(result):
        return _run(result)
    if inspect.isasyncgen(result):
        return _run(_drain(result))
    if inspect.isgenerator(result):
        return list(result)
    return result
