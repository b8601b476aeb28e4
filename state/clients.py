"""The staff client list: search, paging, and adding a client."""

from __future__ import annotations

import reflex as rx

from portal import routes
from portal.services import clients
from portal.services.clients import ClientRow
from state.page import PagedMixin
from state.session import SessionState


class ClientsState(PagedMixin, SessionState):
    rows: list[ClientRow] = []
    search: str = ""
    adding: bool = False
    # Where the page shown starts and ends, to read the next or previous page from the index.
    _first: tuple[str, int] | None = None
    _last: tuple[str, int] | None = None

    @rx.event
    def load(self):
        self.search = self.router.url.query_parameters.get("q", "")[:100]
        self._fetch(1)

    def _fetch(self, page: int) -> None:
        cursor = {}
        if page == self.page + 1 and self._last is not None:
            cursor = {"after": self._last}
        elif page == self.page - 1 and self._first is not None and page > 1:
            cursor = {"before": self._first}
        result = self._load(clients.list_clients, search=self.search, page=page, **cursor)
        if result is None:
            return
        self.error = ""
        self.rows = result.rows
        self._first, self._last = result.first, result.last
        self._paged(result)

    @rx.event
    def find(self, form: dict):
        self.search = str(form.get("q") or "")[:100]
        self._first = self._last = None
        self.page = 1
        self._fetch(1)

    @rx.event
    def toggle_add(self):
        self.adding = not self.adding
        self.error = ""
        self.confirm_duplicate = False

    @rx.event
    def create(self, form: dict):
        done = self._submit(
            form,
            clients.create_client,
            form={name: form.get(name) for name in clients.FIELD_LABELS},
            allow_duplicate=form.get("allow_duplicate") == "on",
        )
        if done is not None and done.result:
            return rx.redirect(routes.client(done.result))
        return None
