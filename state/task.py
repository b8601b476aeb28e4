"""One of a bookkeeper's own steps, with its filing and client beside it (read-only)."""

from __future__ import annotations

import reflex as rx

from portal.services import discussion, workspace
from portal.services.clients import ClientInfo
from portal.services.discussion import PostView
from portal.services.errors import NotFound
from portal.services.filings import FilingHeader
from portal.services.steps import StepView
from state.session import SessionState, call
from state.step_work import StepWorkMixin


class TaskState(StepWorkMixin, SessionState):
    step: StepView = StepView()
    filing: FilingHeader = FilingHeader()
    client: ClientInfo = ClientInfo()
    posts: list[PostView] = []
    can_post: bool = False
    _step_id: int = 0

    @rx.event
    def load(self):
        step_id = self._route_id("step_id")
        if step_id is None:
            self._not_found()
            return
        self._step_id = step_id
        try:
            self._show(call(workspace.task_page, step_id=step_id))
        except NotFound:
            self._not_found()

    def _show(self, page: workspace.TaskPage) -> None:
        self.step = page.step
        self.filing = page.filing
        self.client = page.client
        self.posts = page.posts
        self.can_post = page.can_post

    def _refresh(self) -> None:
        self._show(call(workspace.task_page, step_id=self._step_id))

    @rx.event
    def post(self, form: dict):
        self._act(discussion.add_post, filing_id=self.filing.id, body=form.get("body"))
