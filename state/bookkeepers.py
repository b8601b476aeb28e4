"""Admin: bookkeeper logins. They never take a staff seat."""

from __future__ import annotations

import reflex as rx

from portal.services import team
from portal.services.team import BookkeeperRow, PlanView
from state.calls import call
from state.logins import LoginAdminMixin
from state.session import SessionState


class BookkeepersState(LoginAdminMixin, SessionState):
    login_roles = ("bookkeeper",)
    plan: PlanView = PlanView()
    bookkeepers: list[BookkeeperRow] = []
    archived: list[BookkeeperRow] = []

    @rx.event
    def load(self):
        self._refresh_after(None)

    def _refresh(self) -> None:
        self.plan = call(team.plan)
        self.bookkeepers = call(team.list_bookkeepers)
        self.archived = call(team.list_bookkeepers, archived=True) if self.show_archived else []
