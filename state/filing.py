"""The staff filing page: the filing's lifecycle, its steps, documents and discussion."""

from __future__ import annotations

from typing import Any

import reflex as rx

from portal.services import discussion, filings, steps, workspace
from portal.services import live as topics
from portal.services.discussion import PostView
from portal.services.documents import DocumentRow
from portal.services.filings import FILING_KINDS, FilingHeader
from portal.services.people import PersonOption
from portal.services.steps import StepView
from state.calls import call
from state.documents import DocumentLinksMixin
from state.filing_recurrence import RecurrenceMixin
from state.page import EditorMixin, clear_form
from state.review import ReviewMixin
from state.session import SessionState
from state.step_work import StepWorkMixin

FILING_EDITOR = "filing"
STATUS_ACTIONS = {
    "file": "Filing marked as filed.",
    "cancel": "Filing cancelled.",
    "reopen": "Filing reopened.",
}


def step_editor(step_id: int) -> str:
    return f"step-{step_id}"


class FilingState(
    ReviewMixin, RecurrenceMixin, StepWorkMixin, DocumentLinksMixin, EditorMixin, SessionState
):
    filing: FilingHeader = FilingHeader()
    steps: list[StepView] = []
    assignees: list[PersonOption] = []
    reviewers: list[PersonOption] = []
    posts: list[PostView] = []
    can_post: bool = False
    documents: list[DocumentRow] = []
    kinds: list[str] = list(FILING_KINDS)
    editing_step: int = 0
    editing_filing: bool = False
    _filing_id: int = 0

    @rx.event
    def load(self):
        filing_id = self._route_id("filing_id")
        if filing_id is None:
            self._not_found()
            return
        page = self._load(workspace.filing_page, filing_id=filing_id)
        if page is not None:
            self._filing_id = filing_id
            self._show(page)
            self._follow()

    def _live_topics(self) -> tuple[str, ...]:
        return (topics.filing(self._filing_id),) if self._filing_id else ()

    def _show(self, page: workspace.FilingPage) -> None:
        self.filing = page.header
        self.steps = page.steps
        self.assignees = page.assignees
        self.reviewers = page.reviewers
        self.posts = page.posts
        self.can_post = page.can_post
        self.documents = page.documents
        self._show_recurrence(page.header.id)
        self.review = page.review

    def _filing_target(self) -> int:
        return self._filing_id

    def _refresh(self) -> None:
        self._show(call(workspace.filing_page, filing_id=self._filing_id))

    def _show_tick(self, tick: steps.Tick) -> None:
        self.steps = [
            steps.with_tick(step, tick) if step.id == tick.step_id else step for step in self.steps
        ]

    def _editor_values(self, editor: str) -> dict[str, Any]:
        if editor == FILING_EDITOR:
            return filings.edit_values(self.filing)
        for step in self.steps:
            if step_editor(step.id) == editor:
                return steps.edit_values(step)
        return {}

    # The filing itself.

    @rx.event
    def file_filing(self, token: str, expected: str):
        self._change_status(token, "file", expected)

    @rx.event
    def cancel_filing(self, token: str, expected: str):
        self._change_status(token, "cancel", expected)

    @rx.event
    def reopen_filing(self, token: str, expected: str):
        self._change_status(token, "reopen", expected)

    def _change_status(self, token: str, action: str, expected: str) -> None:
        """From the status the page showed, so a stale page cannot file a cancelled filing."""
        self._act(
            filings.change_status,
            token=token,
            filing_id=self._filing_id,
            action=action,
            expected=str(expected or "")[:20],
            success=STATUS_ACTIONS[action],
        )

    @rx.event
    def set_reviewer(self, expected: str, user_id: str):
        self._set_person(expected, user_id, "reviewer")

    @rx.event
    def set_approver(self, expected: str, user_id: str):
        self._set_person(expected, user_id, "approver")

    def _set_person(self, expected: str, value: str, role: str) -> None:
        ok, user_id = self._pick(value)
        seen_ok, seen = self._pick("" if str(expected) == "0" else expected)
        if not (ok and seen_ok):
            return
        done = self._act(
            filings.set_reviewer,
            filing_id=self._filing_id,
            user_id=user_id,
            role=role,
            expected=seen,
            success=f"{role.title()} set.",
        )
        if done is not None and done.result:
            # The filing was in review: say what the change did to it.
            self.notice = f"{role.title()} set. {done.result}"

    @rx.event
    def toggle_edit_filing(self):
        self.editing_filing = self._toggle_editor(FILING_EDITOR, self.editing_filing)

    @rx.event
    def save_filing(self, form: dict):
        if self._submit(
            form,
            filings.update_filing,
            filing_id=self._filing_id,
            kind=form.get("kind"),
            period=form.get("period"),
            due_date=form.get("due_date"),
            seen=self._seen_by(FILING_EDITOR),
            editor=FILING_EDITOR,
            success="Filing saved.",
        ):
            self.editing_filing = False

    # Managing steps.

    @rx.event
    def add_step(self, form: dict):
        ok, assignee_id = self._pick(form.get("assignee_id"))
        if not ok:
            return None
        done = self._submit(
            form,
            steps.add_step,
            filing_id=self._filing_id,
            title=form.get("title"),
            due_date=form.get("due_date"),
            assignee_id=assignee_id,
            description=form.get("description"),
            success="Step added.",
        )
        return clear_form(form) if done else None

    @rx.event
    def start_edit_step(self, step_id: int):
        if (sid := self._id(step_id)) is None:
            return
        if self.editing_step:
            self._close_editor(step_editor(self.editing_step))
        self.error = ""
        self.notice = ""
        self.editing_step = sid if self._open_editor(step_editor(sid)) else 0

    @rx.event
    def cancel_edit_step(self):
        self._close_editor(step_editor(self.editing_step))
        self.editing_step = 0

    @rx.event
    def save_step(self, form: dict):
        if (sid := self._id(form.get("step_id"))) is None:
            return
        if self._submit(
            form,
            steps.edit_step,
            step_id=sid,
            title=form.get("title"),
            description=form.get("description"),
            due_date=form.get("due_date"),
            seen=self._seen_by(step_editor(sid)),
            editor=step_editor(sid),
            success="Step saved.",
        ):
            self.editing_step = 0

    @rx.event
    def move_step(self, token: str, step_id: int, direction: str):
        if (sid := self._id(step_id)) is not None:
            self._act(steps.move_step, token=token, step_id=sid, direction=direction)

    @rx.event
    def remove_step(self, token: str, step_id: int):
        if (sid := self._id(step_id)) is not None:
            self._act(steps.remove_step, token=token, step_id=sid, success="Step removed.")

    @rx.event
    def assign_step(self, step_id: int, expected: str, user_id: str):
        """From a picker: the new assignee, over the one the picker showed."""
        if (sid := self._id(step_id)) is None:
            return
        ok, assignee_id = self._pick(user_id)
        seen_ok, seen = self._pick("" if str(expected) == "0" else expected)
        if not (ok and seen_ok):
            return
        self._act(
            steps.assign_step,
            step_id=sid,
            assignee_id=assignee_id,
            expected_assignee_id=seen,
            success="Step assigned." if assignee_id else "Step unassigned.",
        )

    @rx.event
    def add_checklist_item(self, form: dict):
        if (sid := self._id(form.get("step_id"))) is None:
            return None
        done = self._submit(form, steps.add_checklist_item, step_id=sid, label=form.get("label"))
        return clear_form(form) if done else None

    @rx.event
    def remove_checklist_item(self, token: str, item_id: int):
        if (iid := self._id(item_id)) is not None:
            self._act(steps.remove_checklist_item, token=token, item_id=iid)

    # Discussion.

    @rx.event
    def post(self, form: dict):
        done = self._submit(
            form, discussion.add_post, filing_id=self._filing_id, body=form.get("body")
        )
        return clear_form(form) if done else None
