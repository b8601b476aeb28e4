"""What every page state shares: its messages, and one way to run a service call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from portal.services import inputs
from portal.services.errors import Invalid, NotFound, ServiceError
from state.session import call


class PageMixin(rx.State, mixin=True):
    error: str = ""
    notice: str = ""

    def _route_id(self, name: str) -> int | None:
        """The record id in the page's URL, or None when it cannot be an id."""
        try:
            return inputs.record_id(self.rx_router_page.params.get(name, ""))
        except Invalid:
            return None

    def _not_found(self) -> None:
        """Missing and out of scope look the same; nothing of the record stays in the page."""
        self.reset()
        self.page_status = "not_found"

    def _lost_access(self) -> None:
        """The record vanished from this person's scope while the page was open."""
        self.reset()
        self.page_status = "access_ended"

    def _refresh(self) -> None:
        """Reload the page's view data after a change; each page defines it."""

    def _act(self, fn: Callable[..., Any], /, *, success: str = "", **kwargs: Any) -> bool:
        """Run one service call as the acting user, then refresh. A refusal becomes a message
        and changes nothing; a record that is no longer reachable ends the page."""
        self.error = ""
        self.notice = ""
        try:
            call(fn, **kwargs)
        except NotFound:
            self._after_not_found()
            return False
        except ServiceError as exc:
            self.error = exc.message
            return False
        self._refresh()
        self.notice = success
        return True

    def _after_not_found(self) -> None:
        """Either one item went stale (refresh and say so) or the page's own record is out of
        reach now (clear everything and say access ended)."""
        try:
            self._refresh()
        except NotFound:
            self._lost_access()
            return
        self.error = (
            "That item no longer exists or is no longer yours to change. "
            "The page has been refreshed."
        )

    def _id(self, value: object) -> int | None:
        """An id sent by the browser, checked to be a plausible id before any service sees it."""
        try:
            return inputs.record_id(value)
        except Invalid:
            self.error = "That item no longer exists. Reload the page."
            return None

    def _pick(self, value: object) -> tuple[bool, int | None]:
        """A choice from a picker where empty means "nobody": (valid, id or None)."""
        if not str(value or "").strip():
            return True, None
        ident = self._id(value)
        return ident is not None, ident


class PagedMixin(PageMixin, mixin=True):
    """A list shown a page at a time. Each page state defines `_fetch(page)`."""

    total: int = 0
    page: int = 1
    pages: int = 1

    def _fetch(self, page: int) -> None:
        """Load the given page of the list; each page state defines it."""

    def _paged(self, result) -> None:
        self.total = result.total
        self.page = result.page
        self.pages = result.pages

    @rx.event
    def next_page(self):
        self._fetch(self.page + 1)

    @rx.event
    def previous_page(self):
        self._fetch(self.page - 1)
