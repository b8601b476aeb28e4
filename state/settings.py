"""Admin settings: the plan's seats, the modules, and staff logins."""

from __future__ import annotations

import reflex as rx

from portal.services import team
from portal.services.team import PersonRow, PlanView
from state.logins import LoginAdminMixin
from state.session import SessionState, call


class SettingsState(LoginAdminMixin, SessionState):
    login_roles = ("staff", "admin")
    plan: PlanView = PlanView()
    people: list[PersonRow] = []

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
