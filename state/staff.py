"""The staff list: admins and staff of the firm, never bookkeepers."""

from __future__ import annotations

import reflex as rx

from portal.services import team
from portal.services.team import PersonRow
from state.page import PageMixin
from state.session import SessionState


class StaffState(PageMixin, SessionState):
    people: list[PersonRow] = []

    @rx.event
    def load(self):
        people = self._load(team.list_staff)
        if people is not None:
            self.people = people
