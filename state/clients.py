"""The staff client list: search, paging, and adding a client."""

from __future__ import annotations

import reflex as rx

from portal import routes
from portal.services import clients
from portal.services.clients import ClientRow
from portal.services.errors import ServiceError
from state.page import PagedMixin
from state.session import SessionState, call


class ClientsState(PagedMixin, SessionState):
    rows: list[ClientRow] = []
    search: str = ""
    adding: bool = False

    @rx.event
    def load(self):
        self.search = self.router.url.query_parameters.get("q", "")[:100]
        self._fetch(1)

    def _fetch(self, page: int) -> None:
        try:
            result = call(clients.list_clients, search=self.search, page=page)
        except ServiceError as exc:
            self.error = exc.message
            return
        self.error = ""
        self.rows = result.rows
        self._paged(result)

    @rx.event
    def find(self, form: dict):
        self.search = str(form.get("q") or "")[:100]
        self._fetch(1)

    @rx.event
    def toggle_add(self):
        self.adding = not self.adding
        self.error = ""

    @rx.event
    def create(self, form: dict):
        self.error = ""
        try:
            client_id = call(clients.create_client, form=form)
        except ServiceError as exc:
            self.error = exc.message
            return
        return rx.redirect(routes.client(client_id))
