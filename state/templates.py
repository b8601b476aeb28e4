"""The Templates page: the firm's filing templates, and the editor for one of them.

The editor's step rows are uncontrolled fields keyed by a row id that never changes while
the editor is open, so adding, removing and moving rows moves what the person typed with
its row. The order that is saved is the server's list of row ids, never one from the
browser; the save goes over the template version the editor was opened on."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from portal.services import filings, people, templates
from portal.services.errors import NotFound, ServiceError
from portal.services.people import PersonOption
from portal.services.templates import TemplateView
from state.calls import call
from state.page import PageMixin
from state.session import SessionState

MAX_ROWS = templates.MAX_STEPS


@dataclass(frozen=True)
class StepRow:
    """One step row of the editor: a stable key, and what its fields show when they mount."""

    uid: str = ""
    title: str = ""
    description: str = ""
    checklist: str = ""
    assignee_id: str = ""
    due_offset_days: str = "0"


class TemplatesState(PageMixin, SessionState):
    templates: list[TemplateView] = []
    assignees: list[PersonOption] = []
    kinds: list[str] = list(filings.FILING_KINDS)
    editing: bool = False
    # The template being edited; 0 for a new one.
    editing_id: int = 0
    edit_name: str = ""
    edit_kind: str = ""
    rows: list[StepRow] = []
    # Bumped to remount the editor's fields with the values it was opened on.
    editor_rev: int = 0
    # The template waiting for a second click to be deleted.
    confirm_delete: int = 0
    _seen_version: int = 0
    _next_uid: int = 0

    @rx.event
    def load(self):
        self.editing = False
        self.confirm_delete = 0
        self._refresh_after(None)

    def _refresh(self) -> None:
        self.templates = call(templates.list_templates)
        self.assignees = call(people.assignee_options)

    def _row(self, **values: str) -> StepRow:
        self._next_uid += 1
        return StepRow(uid=f"r{self.editor_rev}-{self._next_uid}", **values)

    def _open(self, view: TemplateView | None) -> None:
        self.editor_rev += 1
        self._next_uid = 0
        self.error = ""
        self.notice = ""
        self.confirm_delete = 0
        self.editing = True
        if view is None:
            self.editing_id = 0
            self.edit_name = ""
            self.edit_kind = self.kinds[0]
            self._seen_version = 0
            self.rows = [self._row()]
            return
        active = {p.id for p in self.assignees}
        self.editing_id = view.id
        self.edit_name = view.name
        self.edit_kind = view.kind
        self._seen_version = view.version
        self.rows = [
            self._row(
                title=s.title,
                description=s.description,
                checklist=s.checklist,
                # A default assignee who can no longer take work is not offered again.
                assignee_id=str(s.assignee_id) if s.assignee_id in active else "",
                due_offset_days=str(s.due_offset_days),
            )
            for s in view.steps
        ]

    @rx.event
    def new_template(self):
        self.error = ""
        self._refresh_after(None)
        if not self.error:
            self._open(None)

    @rx.event
    def edit_template(self, template_id: int):
        if (tid := self._id(template_id)) is None:
            return
        self.error = ""
        self._refresh_after(None)
        if self.error:
            return
        try:
            view = call(templates.get_template, template_id=tid)
        except NotFound:
            # Deleted by someone else meanwhile: the list now shows what holds.
            self.error = "That template no longer exists. The list has been refreshed."
            return
        except ServiceError as exc:
            self.error = exc.message
            return
        self._open(view)

    @rx.event
    def close_editor(self):
        self.editing = False
        self.error = ""

    @rx.event
    def add_step_row(self):
        if len(self.rows) >= MAX_ROWS:
            self.error = f"A template can have at most {MAX_ROWS} steps."
            return
        self.rows = [*self.rows, self._row()]

    @rx.event
    def remove_step_row(self, uid: str):
        self.rows = [r for r in self.rows if r.uid != str(uid)]

    @rx.event
    def move_step_row(self, uid: str, direction: str):
        rows = list(self.rows)
        index = next((i for i, r in enumerate(rows) if r.uid == str(uid)), None)
        if index is None:
            return
        other = index - 1 if direction == "up" else index + 1
        if direction not in ("up", "down") or not 0 <= other < len(rows):
            return
        rows[index], rows[other] = rows[other], rows[index]
        self.rows = rows

    @rx.event
    def save_template(self, form: dict):
        steps = [
            {
                "title": form.get(f"title-{row.uid}"),
                "description": form.get(f"description-{row.uid}"),
                "checklist": form.get(f"checklist-{row.uid}"),
                "assignee_id": form.get(f"assignee-{row.uid}"),
                "due_offset_days": form.get(f"offset-{row.uid}"),
            }
            for row in self.rows
        ]
        done = self._submit(
            form,
            templates.save_template,
            template_id=self.editing_id or None,
            name=form.get("name"),
            kind=form.get("kind"),
            steps=steps,
            seen_version=self._seen_version or None,
            success="Template saved.",
        )
        if done is not None and not done.repeat:
            self.editing = False
            self.rows = []

    @rx.event
    def ask_delete(self, template_id: int):
        if (tid := self._id(template_id)) is not None:
            self.confirm_delete = tid

    @rx.event
    def keep(self):
        self.confirm_delete = 0

    @rx.event
    def delete_template(self, token: str, template_id: int):
        if (tid := self._id(template_id)) is None:
            return
        done = self._act(
            templates.delete_template,
            token=token,
            template_id=tid,
        )
        if done is not None and not done.repeat:
            self.confirm_delete = 0
            self.notice = (
                "Template archived: filings made from it keep it, and it is no longer offered."
                if done.result == "archived"
                else "Template deleted."
            )
            if self.editing_id == tid:
                self.editing = False
