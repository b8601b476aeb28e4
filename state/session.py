"""The signed-in person as the browser may see them, and the page's found/not-found status."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from portal import access, routes
from portal.auth import acting, require_acting
from portal.services import accounts, runner

T = TypeVar("T")

# The navigation, in order. Each person sees only the entries their role may open.
NAVIGATION = (
    ("Home", routes.HOME),
    ("My tasks", routes.TASKS),
    ("Clients", routes.CLIENTS),
    ("Staff", routes.STAFF),
    ("Bookkeepers", routes.BOOKKEEPERS),
    ("Settings", routes.SETTINGS),
    ("Audit log", routes.AUDIT),
)

ROLE_LABELS = {"admin": "Admin", "staff": "Staff", "bookkeeper": "Bookkeeper"}

SIGN_OUT_SCRIPT = (
    f"fetch({json.dumps(routes.AUTH_SIGN_OUT)}, {{method: 'POST', credentials: 'same-origin'}})"
    f".finally(() => window.location.replace({json.dumps(routes.LOGIN + '?reason=signed_out')}))"
)


def call(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Run one service call in its own unit of work, as the user the boundary verified."""
    return runner.perform(fn, actor=require_acting(), **kwargs)


async def call_in_thread(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """The same, off the event loop: for calls that hash passwords."""
    return await asyncio.to_thread(call, fn, **kwargs)


class SessionState(rx.State):
    """Parent of every page state. Its substates are reset on each navigation."""

    user_name: str = ""
    role_label: str = ""
    firm_name: str = ""
    nav: list[dict[str, str]] = []
    # "ok", "not_found" (missing or out of scope: the two look the same) or "access_ended".
    page_status: str = "ok"

    @rx.event
    def enter_page(self):
        actor = acting()
        role = access.role_for(actor)
        self.user_name = actor.name if actor else ""
        self.role_label = ROLE_LABELS.get(actor.role, "") if actor else ""
        self.firm_name = actor.firm_name if actor else ""
        allowed = access.ROUTES[role] if role is not access.Role.PASSWORD_CHANGE else ()
        self.nav = [{"label": label, "href": href} for label, href in NAVIGATION if href in allowed]

    @rx.event
    def sign_out(self):
        call(accounts.sign_out)
        return rx.call_script(SIGN_OUT_SCRIPT)
