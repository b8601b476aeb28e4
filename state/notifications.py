"""The header's notification list: the latest few, opened from the bell, and "mark all read".
The count itself is SessionState's, reloaded on every page."""

from __future__ import annotations

import reflex as rx

from portal.services import notifications
from portal.services.notifications import NotificationLine
from state.page import PageMixin
from state.session import SessionState


class NotificationsState(PageMixin, SessionState):
    lines: list[NotificationLine] = []

    def _refresh(self) -> None:
        self.lines = self._load(notifications.latest) or []

    @rx.event
    def open_list(self, is_open: bool = True):
        if not is_open:
            return
        self.error = ""
        self._reload_notifications()
        self._refresh()

    @rx.event
    def mark_all_read(self):
        self._act(notifications.mark_all_read)
        self._reload_notifications()
