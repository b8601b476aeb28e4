"""The filing page's review panel: send to review, approve or return, sign off.

Mixed into the staff filing page's state (state/filing.py), which loads `review` with the
rest of the page (workspace.filing_page), so a change by anyone reloads it like the rest.
Each action carries the review round the page showed: from a stale page it is refused and
the person is told who acted first.
"""

from __future__ import annotations

import reflex as rx

from portal.services import review
from portal.services.review import ReviewView
from state.page import PageMixin, clear_form

REOPEN_PREFIX = "reopen-"


class ReviewMixin(PageMixin, mixin=True):
    review: ReviewView = ReviewView()

    def _filing_target(self) -> int:
        """The filing on the page (the page state keeps its id server-side)."""
        return 0

    def _review_act(self, fn, token: str, expected_version: str, success: str) -> None:
        self._act(
            fn,
            token=token,
            filing_id=self._filing_target(),
            expected_version=str(expected_version or "")[:12],
            success=success,
        )

    @rx.event
    def send_to_review(self, token: str, expected_version: str):
        self._review_act(review.send_to_review, token, expected_version, "Sent to review.")

    @rx.event
    def approve_filing(self, token: str, expected_version: str):
        self._review_act(review.approve, token, expected_version, "Filing approved.")

    @rx.event
    def sign_off_filing(self, token: str, expected_version: str):
        self._review_act(review.sign_off, token, expected_version, "Filing signed off.")

    @rx.event
    def return_filing(self, form: dict):
        """The return form: a note, and a checkbox per step (`reopen-<id>`). A refusal
        leaves the form as it was typed."""
        step_ids = [
            str(name)[len(REOPEN_PREFIX) :]
            for name, value in form.items()
            if str(name).startswith(REOPEN_PREFIX) and value
        ][:500]
        done = self._submit(
            form,
            review.return_filing,
            filing_id=self._filing_target(),
            note=form.get("note"),
            step_ids=step_ids,
            expected_version=str(form.get("expected_version") or "")[:12],
            success="Filing returned; the steps you chose are open again.",
        )
        return clear_form(form) if done else None
