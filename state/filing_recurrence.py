"""The filing page's "Repeats" control: how the filing recurs, and its series. A mixin of
FilingState, kept in its own module so the filing page's other parts merge cleanly."""

from __future__ import annotations

import reflex as rx

from portal.services import recurrence
from portal.services.errors import ServiceError
from portal.services.recurrence import FilingRecurrence
from state.calls import call


class RecurrenceMixin(rx.State, mixin=True):
    repeats: FilingRecurrence = FilingRecurrence()
    repeat_choices: list[list[str]] = [list(c) for c in recurrence.RECURRENCE_CHOICES]

    def _show_recurrence(self, filing_id: int) -> None:
        try:
            self.repeats = call(recurrence.filing_recurrence, filing_id=filing_id)
        except ServiceError:
            self.repeats = FilingRecurrence()

    @rx.event
    def set_recurrence(self, expected: str, value: str):
        """From what the page showed (`expected`), so another person's change is never undone
        unseen."""
        self._act(
            recurrence.set_recurrence,
            filing_id=self._filing_id,
            recurrence=str(value or "")[:12],
            seen=str(expected or "")[:12],
            success="Saved how this filing repeats.",
        )
