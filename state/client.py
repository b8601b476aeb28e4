"""A client's page. Staff get every control; a bookkeeper in scope reads it and posts to the
discussions of filings their steps are on. The data held here is only ever what the service
let through for the acting user."""

from __future__ import annotations

from typing import Any

import reflex as rx

from portal import browser, routes
from portal.services import clients, discussion, documents, emails, recurrence, templates, workspace
from portal.services import filings as filing_service
from portal.services import live as topics
from portal.services.clients import ClientInfo, FilingRow
from portal.services.documents import DocumentRow, IncomingFile
from portal.services.emails import EmailRow
from portal.services.errors import ServiceError
from portal.services.templates import TemplateOption
from portal.services.workspace import AccessPath, Thread
from state.calls import call
from state.documents import DocumentLinksMixin
from state.page import EditorMixin, clear_form
from state.session import SessionState

UPLOAD_ID = "client-documents"
# The page's hidden button that clears the upload's chosen files (pages/client.py).
CLEAR_FILES_BUTTON = "client-documents-clear"
EDITOR = "client"


class ClientState(DocumentLinksMixin, EditorMixin, SessionState):
    info: ClientInfo = ClientInfo()
    # Staff get the controls; a bookkeeper's page renders none (and the server refuses them).
    can_manage: bool = False
    filings: list[FilingRow] = []
    threads: list[Thread] = []
    access: list[AccessPath] = []
    documents: list[DocumentRow] = []
    emails: list[EmailRow] = []
    kinds: list[str] = list(filing_service.FILING_KINDS)
    editing: bool = False
    adding_filing: bool = False
    # The new-filing form's template picker, read when the form opens (staff only).
    template_options: list[TemplateOption] = []
    repeat_choices: list[list[str]] = [list(c) for c in recurrence.RECURRENCE_CHOICES]
    upload_filing: str = ""
    upload_percent: int = 0
    uploading: bool = False
    composing: bool = False
    attach_document: int = 0
    attach_name: str = ""
    # What is waiting for a second click to be deleted: "document-5", "email-7" or "".
    confirm_delete: str = ""
    _client_id: int = 0
    # The token of the upload under way: a second click of the same upload stores nothing.
    _upload_token: str = ""
    _skip_upload: bool = False

    @rx.event
    def load(self):
        client_id = self._route_id("client_id")
        if client_id is None:
            self._not_found()
            return
        page = self._load(workspace.client_page, client_id=client_id)
        if page is not None:
            self._client_id = client_id
            self._show(page)
            self._follow()

    def _live_topics(self) -> tuple[str, ...]:
        return (topics.client(self._client_id),) if self._client_id else ()

    def _show(self, page: workspace.ClientPage) -> None:
        self.info = page.info
        self.can_manage = page.can_manage
        self.filings = page.filings
        self.threads = page.threads
        self.access = page.access
        self.documents = page.documents
        self.emails = page.emails

    def _refresh(self) -> None:
        self._show(call(workspace.client_page, client_id=self._client_id))

    def _ended_reason(self) -> str:
        return "You no longer hold a task on an active filing of this client."

    def _editor_values(self, editor: str) -> dict[str, Any]:
        return clients.edit_values(self.info)

    @rx.event
    def toggle_edit(self):
        self.editing = self._toggle_editor(EDITOR, self.editing)

    @rx.event
    def save(self, form: dict):
        done = self._submit(
            form,
            clients.update_client,
            client_id=self._client_id,
            form={name: form.get(name) for name in clients.FIELD_LABELS},
            seen=self._seen_by(EDITOR),
            allow_duplicate=form.get("allow_duplicate") == "on",
            editor=EDITOR,
            success="Client saved.",
        )
        if done is not None:
            self.editing = False

    @rx.event
    def toggle_add_filing(self):
        self.adding_filing = not self.adding_filing
        self.error = ""
        if self.adding_filing:
            try:
                self.template_options = call(templates.template_options)
            except ServiceError as exc:
                self.error = exc.message

    @rx.event
    def create_filing(self, form: dict):
        """A filing, from a template or not, repeating or not: one transaction."""
        done = self._submit(
            form,
            templates.create_filing,
            client_id=self._client_id,
            kind=form.get("kind"),
            period=form.get("period"),
            due_date=form.get("due_date"),
            template_id=form.get("template_id"),
            recurrence_value=form.get("recurrence"),
        )
        if done is None or done.repeat or not done.result:
            return None
        if done.result.notes:
            # Stay, and say what the template could not do; the filing is in the list.
            self.adding_filing = False
            self.notice = "Filing created. " + " ".join(done.result.notes)
            return None
        return rx.redirect(routes.filing(done.result.filing_id))

    @rx.event
    def post_thread(self, form: dict):
        if (fid := self._id(form.get("filing_id"))) is None:
            return None
        done = self._submit(form, discussion.add_post, filing_id=fid, body=form.get("body"))
        return clear_form(form) if done else None

    # Documents.

    @rx.event
    def choose_upload_filing(self, value: str):
        self.upload_filing = str(value or "")

    @rx.event
    def begin_upload(self, token: str = ""):
        """The first half of the Upload button; the same click arriving twice (same token)
        makes its second upload store nothing."""
        token = str(token or "")[:64]
        self._skip_upload = bool(token) and token == self._upload_token
        self._upload_token = token
        if not self._skip_upload:
            self.upload_percent = 0
            self.uploading = True

    @rx.event
    def upload_progress(self, progress: dict):
        """Progress reports can arrive after the upload itself finished, so they only ever
        move the bar forward, and never reopen an upload that is over."""
        try:
            percent = max(0, min(100, round(float(progress["progress"]) * 100)))
        except (KeyError, TypeError, ValueError):
            return
        if self.uploading and percent > self.upload_percent:
            self.upload_percent = percent

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        if self._skip_upload:
            self._skip_upload = False
            return
        try:
            stored = await self._store(files)
        finally:
            self.uploading = False
            self.upload_percent = 100
        if stored:
            self.notice = f"{stored} document{'s' if stored != 1 else ''} uploaded."
            yield browser.press(CLEAR_FILES_BUTTON)

    async def _store(self, files: list[rx.UploadFile]) -> int:
        """Hand the files to the document service; the number stored, 0 when refused."""
        ok, filing_id = self._pick(self.upload_filing)
        if not ok:
            self._rotate_token()
            return 0
        if not files:
            self._rotate_token()
            self.notice = ""
            self.error = "Choose at least one file to upload."
            return 0
        incoming = [IncomingFile(name=f.filename or "", stream=f.file) for f in files]
        done = await self._act_async(
            documents.upload_documents,
            client_id=self._client_id,
            filing_id=filing_id,
            files=incoming,
        )
        return len(incoming) if done is not None else 0

    @rx.event
    def ask_delete(self, kind: str, record_id: int):
        if kind in ("document", "email") and (rid := self._id(record_id)) is not None:
            self.confirm_delete = f"{kind}-{rid}"

    @rx.event
    def keep(self):
        self.confirm_delete = ""

    @rx.event
    def delete_document(self, token: str, document_id: int):
        if (did := self._id(document_id)) is not None and self._act(
            documents.delete_document, token=token, document_id=did, success="Document deleted."
        ):
            self.confirm_delete = ""

    # Emails.

    @rx.event
    def compose(self):
        self.composing = True
        self.attach_document = 0
        self.attach_name = ""

    @rx.event
    def compose_with_document(self, document_id: int, name: str):
        self.composing = True
        self.attach_document = self._id(document_id) or 0
        self.attach_name = str(name or "")[:255]

    @rx.event
    def close_compose(self):
        self.composing = False
        self.attach_document = 0
        self.attach_name = ""

    @rx.event
    async def send_email(self, form: dict):
        done = await self._act_async(
            emails.send_email,
            token=str(form.get("_token") or ""),
            typed=form,
            client_id=self._client_id,
            to=form.get("to"),
            subject=form.get("subject"),
            body=form.get("body"),
            attachment_document_id=self.attach_document or None,
            success="Email sent.",
        )
        if done is None or done.repeat:
            return
        if problem := emails.failure(done.result):
            # Kept in the thread as failed; the form stays open with what was typed.
            self.notice = ""
            self.error = problem
            return
        self.composing = False
        self.attach_document = 0
        self.attach_name = ""

    @rx.event
    def delete_email(self, token: str, email_id: int):
        if (eid := self._id(email_id)) is not None and self._act(
            emails.delete_email, token=token, email_id=eid, success="Email deleted."
        ):
            self.confirm_delete = ""
