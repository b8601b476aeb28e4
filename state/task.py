"""One of a bookkeeper's own steps, with its filing and client beside it (read-only)."""

from __future__ import annotations

import reflex as rx

from portal.services import discussion, steps, tasks, workspace
from portal.services import live as topics
from portal.services.clients import ClientInfo
from portal.services.discussion import PostView
from portal.services.errors import ServiceError
from portal.services.filings import FilingHeader
from portal.services.steps import StepView
from state.calls import call
from state.page import clear_form
from state.session import SessionState
from state.step_work import StepWorkMixin


class TaskState(StepWorkMixin, SessionState):
    step: StepView = StepView()
    filing: FilingHeader = FilingHeader()
    client: ClientInfo = ClientInfo()
    posts: list[PostView] = []
    can_post: bool = False
    # Set only once the step loaded in scope: the browser never chooses it.
    _step_id: int = 0

    @rx.event
    def load(self):
        step_id = self._route_id("step_id")
        if step_id is None:
            self._not_found()
            return
        page = self._load(workspace.task_page, step_id=step_id)
        if page is not None:
            self._step_id = step_id
            self._show(page)
            self._follow()

    def _live_topics(self) -> tuple[str, ...]:
        if not self._step_id:
            return ()
        return (topics.step(self._step_id), topics.filing(self.filing.id))

    def _show(self, page: workspace.TaskPage) -> None:
        self.step = page.step
        self.filing = page.filing
        self.client = page.client
        self.posts = page.posts
        self.can_post = page.can_post

    def _refresh(self) -> None:
        self._show(call(workspace.task_page, step_id=self._step_id))

    def _show_tick(self, tick: steps.Tick) -> None:
        if tick.step_id == self.step.id:
            self.step = steps.with_tick(self.step, tick)

    def _ended_reason(self) -> str:
        if not self._step_id:
            return ""
        try:
            return call(tasks.ended_reason, step_id=self._step_id)
        except ServiceError:
            return ""

    @rx.event
    def post(self, form: dict):
        done = self._submit(
            form, discussion.add_post, filing_id=self.filing.id, body=form.get("body")
        )
        return clear_form(form) if done else None
