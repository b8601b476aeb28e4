"""The access review for admins: who can open which client now, and who could, when and why.

Everything here is what the admin chose and what the service answered for an admin: names,
steps and periods of their own firm, nothing an admin could not see on the page anyway.
"""

from __future__ import annotations

import reflex as rx

from portal import routes
from portal.services import access_review
from portal.services.access_review import AccessRow, Choice
from portal.services.errors import Invalid
from state.page import PagedMixin
from state.session import SessionState

# What the browser may send, cut before anything parses it.
_ID_CHARS = 20
_DAY_CHARS = 10
_SEARCH_CHARS = 100


class AccessReviewState(PagedMixin, SessionState):
    view_choice: str = "now"
    person_filter: str = ""
    client_filter: str = ""
    client_search: str = ""
    day_from: str = ""
    day_to: str = ""
    rows: list[AccessRow] = []
    people: list[Choice] = []
    clients: list[Choice] = []
    caption: str = ""
    csv_url: str = ""

    @rx.event
    def load(self):
        self._fetch(1)

    def _fetch(self, page: int) -> None:
        try:
            asked = access_review.review(
                view=self.view_choice,
                person=self.person_filter,
                client=self.client_filter,
                start=self.day_from,
                end=self.day_to,
            )
        except Invalid as exc:
            # Nothing of another question stays on screen under this one's tab.
            self.error, self.notice = exc.message, ""
            self.rows, self.total, self.page, self.pages = [], 0, 1, 1
            self.caption = self.csv_url = ""
            return
        result = self._load(
            access_review.review_page, review=asked, page=page, client_search=self.client_search
        )
        if result is None:
            return
        self.error = ""
        self.rows = result.rows
        self.people = result.people
        self.clients = result.clients
        self.caption = result.caption
        self.csv_url = routes.access_review_export(
            view=asked.view.value,
            person=asked.person_id,
            client=asked.client_id,
            start=asked.start.isoformat() if asked.start else "",
            end=asked.end.isoformat() if asked.end else "",
        )
        self._paged(result)

    @rx.event
    def choose_view(self, value: str):
        self.view_choice = str(value or "now")[:_ID_CHARS]
        self._fetch(1)

    @rx.event
    def filter_person(self, value: str):
        self.person_filter = str(value or "")[:_ID_CHARS]
        self._fetch(1)

    @rx.event
    def filter_client(self, value: str):
        self.client_filter = str(value or "")[:_ID_CHARS]
        self._fetch(1)

    @rx.event
    def search_clients(self, form: dict):
        self.client_search = str((form or {}).get("client_search") or "")[:_SEARCH_CHARS]
        self._fetch(1)

    @rx.event
    def set_dates(self, form: dict):
        form = form or {}
        self.day_from = str(form.get("day_from") or "")[:_DAY_CHARS]
        self.day_to = str(form.get("day_to") or "")[:_DAY_CHARS]
        self._fetch(1)
