"""The firm home for staff and admins."""

from __future__ import annotations

import reflex as rx

from portal.services import dashboard
from portal.services.dashboard import AssigneeLoad, StepLink
from portal.services.review import WaitingFiling
from state.page import PageMixin
from state.session import SessionState


class HomeState(PageMixin, SessionState):
    by_assignee: list[AssigneeLoad] = []
    due_soon: list[StepLink] = []
    overdue: list[StepLink] = []
    unassigned: int = 0
    open_steps: int = 0
    waiting_for_me: list[WaitingFiling] = []

    @rx.event
    def load(self):
        home = self._load(dashboard.firm_home)
        if home is None:
            return
        self.by_assignee = home.by_assignee
        self.due_soon = home.due_soon
        self.overdue = home.overdue
        self.unassigned = home.unassigned
        self.open_steps = home.open_steps
        self.waiting_for_me = home.waiting_for_me
