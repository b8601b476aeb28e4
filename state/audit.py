"""The audit log for admins, filtered by person and by client."""

from __future__ import annotations

import reflex as rx

from portal.services import audit
from portal.services.audit import AuditRow, FilterOption
from state.page import PagedMixin
from state.session import SessionState


class AuditState(PagedMixin, SessionState):
    rows: list[AuditRow] = []
    people: list[FilterOption] = []
    clients: list[FilterOption] = []
    person_filter: str = ""
    client_filter: str = ""

    @rx.event
    def load(self):
        self._fetch(1)

    def _fetch(self, page: int) -> None:
        ok_person, person_id = self._pick(self.person_filter)
        ok_client, client_id = self._pick(self.client_filter)
        if not (ok_person and ok_client):
            return
        result = self._load(audit.list_events, person_id=person_id, client_id=client_id, page=page)
        if result is None:
            return
        self.rows = result.rows
        self.people = result.people
        self.clients = result.clients
        self._paged(result)

    @rx.event
    def filter_person(self, value: str):
        self.person_filter = str(value or "")[:20]
        self._fetch(1)

    @rx.event
    def filter_client(self, value: str):
        self.client_filter = str(value or "")[:20]
        self._fetch(1)
