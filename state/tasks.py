"""My Tasks: a bookkeeper's own steps on active filings."""

from __future__ import annotations

import reflex as rx

from state.session import SessionState


class TasksState(SessionState):
    @rx.event
    def load(self):
        """Filled by the portal work: the bookkeeper's steps with counters and filters."""
