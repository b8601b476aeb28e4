"""Admin settings: the plan's seats, the modules, and staff logins."""

from __future__ import annotations

import reflex as rx

from portal.services import team
from portal.services.team import PersonRow, PlanView
from state.calls import call
from state.logins import LoginAdminMixin
from state.session import SessionState


class SettingsState(LoginAdminMixin, SessionState):
    login_roles = ("staff", "admin")
    plan: PlanView = PlanView()
    people: list[PersonRow] = []

    @rx.event
    def load(self):
        self._refresh_after(None)

    def _refresh(self) -> None:
        self.plan = call(team.plan)
        self.people = call(team.list_staff)

    @rx.event
    def save_modules(self, form: dict):
        """Switched from what the page showed: another admin's change is never undone."""
        self._submit(
            form,
            team.set_modules,
            filing_steps=form.get("filing_steps") == "on",
            portal=form.get("portal") == "on",
            expected=(self.plan.filing_steps_enabled, self.plan.portal_enabled),
            success="Modules saved.",
        )
