"""The work done on a step, shared by the staff filing page and the bookkeeper's task page.

Each page class that mixes this in gets its own copy of these handlers, so the allowlist can
give the bookkeeper's task page exactly these and nothing that manages steps.
"""

from __future__ import annotations

import reflex as rx

from portal.services import steps
from state.page import PageMixin, clear_form


class StepWorkMixin(PageMixin, mixin=True):
    # The step whose "waiting on client" reason form is open.
    waiting_step: int = 0
    # The person's own time entry being edited.
    editing_entry: int = 0

    @rx.event
    def set_step_status(self, step_id: int, expected: str, status: str):
        """From the status picker: the new status, over the one the picker showed."""
        if (sid := self._id(step_id)) is None:
            return
        if status == "waiting_on_client":
            self.waiting_step = sid
            return
        self.waiting_step = 0
        self._act(
            steps.set_status,
            step_id=sid,
            status=str(status or "")[:40],
            expected=str(expected or "")[:40] or None,
        )

    @rx.event
    def mark_waiting(self, form: dict):
        if (sid := self._id(form.get("step_id"))) is None:
            return
        if self._submit(
            form,
            steps.set_status,
            step_id=sid,
            status="waiting_on_client",
            reason=form.get("reason"),
            expected=str(form.get("expected") or "")[:40] or None,
        ):
            self.waiting_step = 0

    @rx.event
    def cancel_waiting(self):
        self.waiting_step = 0

    @rx.event
    def tick(self, item_id: int, done: bool):
        """The hottest event there is: only the ticked line changes on the page."""
        if (iid := self._id(item_id)) is not None:
            self._act(steps.set_checklist_item, item_id=iid, done=bool(done), shown=self._show_tick)

    def _show_tick(self, tick: steps.Tick) -> None:
        """Each page puts the ticked item into the step it shows."""

    @rx.event
    def log_time(self, form: dict):
        if (sid := self._id(form.get("step_id"))) is None:
            return None
        done = self._submit(
            form,
            steps.log_time,
            step_id=sid,
            minutes=form.get("minutes"),
            work_date=form.get("work_date"),
            note=form.get("note"),
            success="Time logged.",
        )
        return clear_form(form) if done else None

    @rx.event
    def start_edit_time(self, entry_id: int):
        self.editing_entry = self._id(entry_id) or 0

    @rx.event
    def cancel_edit_time(self):
        self.editing_entry = 0

    @rx.event
    def update_time(self, form: dict):
        if (eid := self._id(form.get("entry_id"))) is not None and self._submit(
            form,
            steps.update_time_entry,
            entry_id=eid,
            minutes=form.get("minutes"),
            work_date=form.get("work_date"),
            note=form.get("note"),
            success="Time entry updated.",
        ):
            self.editing_entry = 0

    @rx.event
    def delete_time(self, token: str, entry_id: int):
        if (eid := self._id(entry_id)) is not None:
            self._act(
                steps.delete_time_entry, token=token, entry_id=eid, success="Time entry deleted."
            )

    @rx.event
    def add_comment(self, form: dict):
        if (sid := self._id(form.get("step_id"))) is None:
            return None
        done = self._submit(form, steps.add_comment, step_id=sid, body=form.get("body"))
        return clear_form(form) if done else None
