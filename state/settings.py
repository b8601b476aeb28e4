"""Admin settings: the plan's seats, the modules, and staff logins."""

from __future__ import annotations

import reflex as rx

from portal.services import team
from portal.services.errors import ServiceError
from portal.services.team import PersonRow, PlanView
from state.page import PageMixin
from state.session import SessionState, call, call_in_thread


class SettingsState(PageMixin, SessionState):
    plan: PlanView = PlanView()
    people: list[PersonRow] = []
    # A generated password, shown once right after it was made, then forgotten.
    shown_password: str = ""
    shown_for: str = ""

    @rx.event
    def load(self):
        self._refresh()

    def _refresh(self) -> None:
        self.plan = call(team.plan)
        self.people = call(team.list_staff)

    @rx.event
    def save_modules(self, form: dict):
        self._act(
            team.set_modules,
            filing_steps=form.get("filing_steps") == "on",
            portal=form.get("portal") == "on",
            success="Modules saved.",
        )

    @rx.event
    async def create_login(self, form: dict):
        self.error = ""
        self.notice = ""
        self.shown_password = ""
        try:
            created = await call_in_thread(
                team.create_login,
                name=form.get("name"),
                email=form.get("email"),
                role=str(form.get("role") or ""),
                password=form.get("password"),
            )
        except ServiceError as exc:
            self.error = exc.message
            return
        self._refresh()
        self.notice = f"Login created for {created.email}."
        self.shown_password = created.generated_password
        self.shown_for = created.email

    @rx.event
    def set_active(self, user_id: int, active: bool):
        if (uid := self._id(user_id)) is not None:
            self._act(
                team.set_active,
                user_id=uid,
                active=bool(active),
                success="Login reactivated." if active else "Login deactivated; sessions ended.",
            )

    @rx.event
    def dismiss_password(self):
        self.shown_password = ""
        self.shown_for = ""
