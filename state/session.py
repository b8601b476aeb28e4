"""The signed-in person as the browser may see them, and the page's found/not-found status."""

from __future__ import annotations

import contextlib
import inspect
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import reflex as rx

from portal import access, browser, routes
from portal.auth import acting
from portal.services import accounts, notifications
from portal.services import live as topics
from portal.services.errors import ServiceError
from state import live
from state.calls import call

# The navigation, in order. Each person sees only the entries their role may open.
NAVIGATION = (
    ("Home", routes.HOME),
    ("My tasks", routes.TASKS),
    ("Clients", routes.CLIENTS),
    ("Staff", routes.STAFF),
    ("Templates", routes.TEMPLATES),
    ("Workload", routes.WORKLOAD),
    ("Bookkeepers", routes.BOOKKEEPERS),
    ("Settings", routes.SETTINGS),
    ("Audit log", routes.AUDIT),
)

ROLE_LABELS = {"admin": "Admin", "staff": "Staff", "bookkeeper": "Bookkeeper"}

# The way back from a page that is not found or no longer open: each person's landing page.
LANDING_LABELS = {
    routes.TASKS: "Back to My Tasks",
    routes.HOME: "Back to home",
    routes.CHANGE_PASSWORD: "Back to choosing your password",
    routes.SECURITY: "Back to sign-in security",
    routes.LOGIN: "Sign in",
}


def new_token() -> str:
    """A page's submission token: what makes a double click one submission."""
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class UnsentText:
    """Something the person typed that could not be saved, shown back to copy."""

    label: str = ""
    text: str = ""


# The free-text fields a person types, as they are labelled when shown back unsent.
TYPED_LABELS = {
    "body": "Your message",
    "note": "Note",
    "minutes": "Time spent",
    "work_date": "Date",
    "reason": "What you are waiting for",
    "label": "Checklist item",
    "title": "Title",
    "description": "Description",
    "subject": "Subject",
}


def typed_back(form: Mapping[str, Any] | None) -> list[UnsentText]:
    """What the person typed into a form, labelled, for showing it back unsaved."""
    return [
        UnsentText(label=label, text=str(form[name])[:20_000])
        for name, label in TYPED_LABELS.items()
        if form and str(form.get(name) or "").strip()
    ]


class SessionState(rx.State):
    """Parent of every page state. Its substates are reset on each navigation."""

    user_name: str = ""
    role_label: str = ""
    firm_name: str = ""
    nav: list[dict[str, str]] = []
    # "ok", "not_found" (missing or out of scope: the two look the same) or "access_ended".
    page_status: str = "ok"
    # Why access ended, when the page knows; and what the person had typed but not saved.
    ended_reason: str = ""
    unsent: list[UnsentText] = []
    # Carried by every form and action button of the page, and renewed after each
    # submission is handled: a repeat of the same click carries the old one.
    submit_token: str = ""
    # The header's notifications: "" when this person has no account page (a forced password
    # change), and the unread count with its spoken label. The list is NotificationsState's.
    account_href: str = ""
    unread: int = 0
    notifications_label: str = "Notifications"
    # The person's landing page, linked from the not-found and access-ended pages; for a
    # signed-out visitor, the sign-in page.
    landing_href: str = routes.LOGIN
    landing_label: str = "Sign in"
    # What this tab's browser was asked and owes an answer to (state/browser.py): action
    # name -> "<state full name>:<private method>" that takes the answer. Server side only.
    _awaiting: dict[str, str] = {}

    @rx.event
    def enter_page(self):
        self._fill_header()

    def _fill_header(self) -> None:
        """The header and the way back, for the person the boundary re-read for this event.
        Run for every page as it loads, and by the page guard for a page it refuses (which
        then shows not found in the same frame as a record missing or out of scope)."""
        actor = acting()
        role = access.role_for(actor)
        self.landing_href = access.LANDING[role]
        self.landing_label = LANDING_LABELS.get(self.landing_href, "Back to home")
        self.user_name = actor.name if actor else ""
        self.role_label = ROLE_LABELS.get(actor.role, "") if actor else ""
        self.firm_name = actor.firm_name if actor else ""
        allowed = access.ROUTES[role] if role is not access.Role.PASSWORD_CHANGE else ()
        self.nav = [{"label": label, "href": href} for label, href in NAVIGATION if href in allowed]
        self.submit_token = new_token()
        self.ended_reason = ""
        self.unsent = []
        self.account_href = routes.ACCOUNT if routes.ACCOUNT in allowed else ""
        self._reload_notifications()
        if actor is not None:
            # Changes to this person's work or access, or to the firm, reach this tab live.
            live.listen(
                self.router.session.client_token,
                (topics.user(actor.user_id), topics.firm(actor.firm_id)),
            )

    def _reload_notifications(self) -> None:
        """Reload the header's unread count: one indexed count, on every page and whenever
        something new may have arrived. A failure (logged with its reference by `call`)
        leaves the count at 0 rather than stopping the page."""
        count = 0
        if self.account_href:
            with contextlib.suppress(ServiceError):
                count = call(notifications.unread_count)
        self.unread = count
        self.notifications_label = f"Notifications, {count} unread" if count else "Notifications"

    @rx.event
    def dismiss_unsent(self):
        self.unsent = []

    @rx.event
    async def answer(self, form: dict):
        """The browser's answer to an action the server asked of it (state/browser.py),
        handed to the handler the server named when it asked, once. The browser only says
        which action it answers: nothing asked, nothing done."""
        claimed = browser.claim(self, str(form.get("name") or "")[:40])
        if claimed is None:
            return
        taker, method = claimed
        holder = self if isinstance(self, taker) else await self.get_state(taker)
        result = getattr(holder, method)(browser.decode(form.get("value")))
        if inspect.isasyncgen(result):
            async for update in result:
                yield update
            return
        if inspect.isawaitable(result):
            result = await result
        if result is not None:
            yield result

    def _keep_typed(self, fields: object) -> None:
        """After a push ended the page's access (state/live.py), the browser sends back what
        was typed in its forms just before they went: shown to the person to copy. It is
        only their own text echoed to them, and only on a page whose access has ended."""
        if self.page_status != "access_ended" or not isinstance(fields, list):
            return
        typed = {
            str(pair[0]): str(pair[1])
            for pair in fields[:40]
            if isinstance(pair, list | tuple) and len(pair) == 2
        }
        self.unsent = typed_back(typed)

    @rx.event
    def sign_out(self):
        """Signing out never fails in the browser: if ending the session here fails, the
        sign-out route the script calls ends it again and clears the cookie."""
        with contextlib.suppress(ServiceError):
            call(accounts.sign_out)
        # The person's other tabs of this session are sent to sign-in by the push that
        # signing out publishes; this one leaves by itself.
        live.forget(self.router.session.client_token)
        return browser.sign_out()
