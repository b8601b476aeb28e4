"""The firm home for staff and admins."""

from __future__ import annotations

import reflex as rx

from portal.services import dashboard
from portal.services.dashboard import AssigneeLoad, PersonLoad, StepLink
from portal.services.review import WaitingFiling
from state.page import PageMixin
from state.session import SessionState
from state.workload import people_height


class HomeState(PageMixin, SessionState):
    by_assignee: list[AssigneeLoad] = []
    due_soon: list[StepLink] = []
    overdue: list[StepLink] = []
    unassigned: int = 0
    open_steps: int = 0
    waiting_for_me: list[WaitingFiling] = []
    # The Workload page's first chart, drawn from the same counts.
    people: list[PersonLoad] = []
    people_height: int = 160
    people_summary: str = ""

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
        self.people = home.people
        self.people_height = people_height(home.people)
        self.people_summary = home.people_summary
