"""The staff filing page: the filing's lifecycle, its steps, documents and discussion."""

from __future__ import annotations

import reflex as rx

from portal.services import discussion, filings, inputs, steps, workspace
from portal.services.discussion import PostView
from portal.services.documents import DocumentRow
from portal.services.errors import NotFound
from portal.services.filings import FILING_KINDS, FilingHeader
from portal.services.people import PersonOption
from portal.services.steps import StepView
from state.session import SessionState, call
from state.step_work import StepWorkMixin


class FilingState(StepWorkMixin, SessionState):
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
        self._filing_id = filing_id
        try:
            self._show(call(workspace.filing_page, filing_id=filing_id))
        except NotFound:
            self._not_found()

    def _show(self, page: workspace.FilingPage) -> None:
        self.filing = page.header
        self.steps = page.steps
        self.assignees = page.assignees
        self.reviewers = page.reviewers
        self.posts = page.posts
        self.can_post = page.can_post
        self.documents = page.documents

    def _refresh(self) -> None:
        self._show(call(workspace.filing_page, filing_id=self._filing_id))

    # The filing itself.

    @rx.event
    def file_filing(self):
        self._act(
            filings.change_status,
            filing_id=self._filing_id,
            action="file",
            success="Filing marked as filed.",
        )

    @rx.event
    def cancel_filing(self):
        self._act(
            filings.change_status,
            filing_id=self._filing_id,
            action="cancel",
            success="Filing cancelled.",
        )

    @rx.event
    def reopen_filing(self):
        self._act(
            filings.change_status,
            filing_id=self._filing_id,
            action="reopen",
            success="Filing reopened.",
        )

    @rx.event
    def set_reviewer(self, user_id: str):
        self._set_person(user_id, "reviewer")

    @rx.event
    def set_approver(self, user_id: str):
        self._set_person(user_id, "approver")

    def _set_person(self, value: str, role: str) -> None:
        ok, user_id = self._pick(value)
        if not ok:
            return
        self._act(filings.set_reviewer, filing_id=self._filing_id, user_id=user_id, role=role)

    @rx.event
    def toggle_edit_filing(self):
        self.editing_filing = not self.editing_filing

    @rx.event
    def save_filing(self, form: dict):
        if self._act(
            filings.update_filing,
            filing_id=self._filing_id,
            kind=form.get("kind"),
            period=form.get("period"),
            due_date=form.get("due_date"),
            success="Filing saved.",
        ):
            self.editing_filing = False

    # Managing steps.

    @rx.event
    def add_step(self, form: dict):
        ok, assignee_id = self._pick(form.get("assignee_id"))
        if not ok:
            return
        self._act(
            steps.add_step,
            filing_id=self._filing_id,
            title=form.get("title"),
            due_date=form.get("due_date"),
            assignee_id=assignee_id,
            description=form.get("description"),
            success="Step added.",
        )

    @rx.event
    def start_edit_step(self, step_id: int):
        self.editing_step = self._id(step_id) or 0

    @rx.event
    def cancel_edit_step(self):
        self.editing_step = 0

    @rx.event
    def save_step(self, form: dict):
        if (sid := self._id(form.get("step_id"))) is None:
            return
        version = inputs.version(form.get("version"))
        if self._act(
            steps.edit_step,
            step_id=sid,
            title=form.get("title"),
            description=form.get("description"),
            due_date=form.get("due_date"),
            version=version,
            success="Step saved.",
        ):
            self.editing_step = 0

    @rx.event
    def move_step(self, step_id: int, direction: str):
        if (sid := self._id(step_id)) is not None:
            self._act(steps.move_step, step_id=sid, direction=direction)

    @rx.event
    def remove_step(self, step_id: int):
        if (sid := self._id(step_id)) is not None:
            self._act(steps.remove_step, step_id=sid, success="Step removed.")

    @rx.event
    def assign_step(self, step_id: int, user_id: str):
        if (sid := self._id(step_id)) is None:
            return
        ok, assignee_id = self._pick(user_id)
        if not ok:
            return
        self._act(steps.assign_step, step_id=sid, assignee_id=assignee_id, success="Step assigned.")

    @rx.event
    def add_checklist_item(self, form: dict):
        if (sid := self._id(form.get("step_id"))) is not None:
            self._act(steps.add_checklist_item, step_id=sid, label=form.get("label"))

    @rx.event
    def remove_checklist_item(self, item_id: int):
        if (iid := self._id(item_id)) is not None:
            self._act(steps.remove_checklist_item, item_id=iid)

    # Discussion.

    @rx.event
    def post(self, form: dict):
        self._act(discussion.add_post, filing_id=self._filing_id, body=form.get("body"))
