"""The firm home for staff and admins."""

from __future__ import annotations

import reflex as rx

from state.session import SessionState


class HomeState(SessionState):
    @rx.event
    def load(self):
        """Filled by the practice-core work: open steps by assignee, due soon, overdue."""
