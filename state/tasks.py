"""My Tasks: a bookkeeper's own steps on active filings, with counters, filters and paging."""

from __future__ import annotations

import reflex as rx

from portal.services import tasks
from portal.services.errors import NotFound, ServiceError
from portal.services.tasks import ClientOption, TaskRow
from state.calls import call
from state.page import PagedMixin
from state.session import SessionState


class TasksState(PagedMixin, SessionState):
    rows: list[TaskRow] = []
    assigned: int = 0
    due_soon: int = 0
    overdue: int = 0
    client_options: list[ClientOption] = []
    status_filter: str = ""
    client_filter: str = ""
    sort: str = "due"

    @rx.event
    def load(self):
        self._fetch(1, counted=True)

    def _fetch(self, page: int, counted: bool = False) -> None:
        """A sort, a page or a status filter reads only the rows and their total; loading
        the page or choosing a client also reads the counters and the client choices."""
        ok, client_id = self._pick(self.client_filter)
        if not ok:
            return
        try:
            result = call(
                tasks.my_tasks,
                status=self.status_filter,
                client_id=client_id,
                sort=self.sort,
                page=page,
                counted=counted,
            )
        except NotFound:
            self.client_filter = ""
            self._fetch(page, counted=True)
            self.error = "That client is not one of yours. Showing all your tasks."
            return
        except ServiceError as exc:
            self.error = exc.message
            return
        self.error = ""
        self.rows = result.rows
        if result.counted:
            self.assigned = result.assigned
            self.due_soon = result.due_soon
            self.overdue = result.overdue
            self.client_options = result.clients
        self._paged(result)

    def _live_reload(self) -> None:
        """A task given or taken away: the list, its counters and client choices anew."""
        if self.page_status == "ok":
            self._fetch(self.page, counted=True)

    @rx.event
    def filter_status(self, value: str):
        self.status_filter = str(value or "")[:40]
        self._fetch(1)

    @rx.event
    def filter_client(self, value: str):
        self.client_filter = str(value or "")[:20]
        self._fetch(1, counted=True)

    @rx.event
    def sort_by(self, value: str):
        self.sort = str(value or "due")[:20]
        self._fetch(1)
