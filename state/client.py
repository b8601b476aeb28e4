"""A client's page. Staff get every control; a bookkeeper in scope reads it and posts to the
discussions of filings their steps are on. The data held here is only ever what the service
let through for the acting user."""

from __future__ import annotations

import reflex as rx

from portal import routes
from portal.services import clients, discussion, documents, emails, inputs, workspace
from portal.services import filings as filing_service
from portal.services.clients import ClientInfo, FilingRow
from portal.services.documents import DocumentRow, IncomingFile
from portal.services.emails import EmailRow
from portal.services.errors import NotFound, ServiceError
from portal.services.workspace import AccessPath, Thread
from state.page import PageMixin
from state.session import SessionState, call, call_in_thread

UPLOAD_ID = "client-documents"


class ClientState(PageMixin, SessionState):
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
    upload_filing: str = ""
    upload_percent: int = 0
    uploading: bool = False
    composing: bool = False
    attach_document: int = 0
    attach_name: str = ""
    # What is waiting for a second click to be deleted: "document-5", "email-7" or "".
    confirm_delete: str = ""
    _client_id: int = 0

    @rx.event
    def load(self):
        client_id = self._route_id("client_id")
        if client_id is None:
            self._not_found()
            return
        self._client_id = client_id
        try:
            self._show(call(workspace.client_page, client_id=client_id))
        except NotFound:
            self._not_found()

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

    @rx.event
    def toggle_edit(self):
        self.editing = not self.editing
        self.error = ""

    @rx.event
    def save(self, form: dict):
        version = inputs.version(form.get("version"))
        if self._act(
            clients.update_client,
            client_id=self._client_id,
            form=form,
            version=version,
            success="Client saved.",
        ):
            self.editing = False

    @rx.event
    def toggle_add_filing(self):
        self.adding_filing = not self.adding_filing
        self.error = ""

    @rx.event
    def create_filing(self, form: dict):
        self.error = ""
        try:
            filing_id = call(
                filing_service.create_filing,
                client_id=self._client_id,
                kind=form.get("kind"),
                period=form.get("period"),
                due_date=form.get("due_date"),
            )
        except NotFound:
            self._after_not_found()
            return
        except ServiceError as exc:
            self.error = exc.message
            return
        return rx.redirect(routes.filing(filing_id))

    @rx.event
    def post_thread(self, form: dict):
        if (fid := self._id(form.get("filing_id"))) is not None:
            self._act(discussion.add_post, filing_id=fid, body=form.get("body"))

    # Documents.

    @rx.event
    def choose_upload_filing(self, value: str):
        self.upload_filing = str(value or "")

    @rx.event
    def begin_upload(self):
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
        self.error = ""
        self.notice = ""
        try:
            stored = await self._store(files)
        finally:
            self.uploading = False
            self.upload_percent = 100
        if stored:
            self._refresh()
            self.notice = f"{stored} document{'s' if stored != 1 else ''} uploaded."
            yield rx.clear_selected_files(UPLOAD_ID)

    async def _store(self, files: list[rx.UploadFile]) -> int:
        """Hand the files to the document service; the number stored, 0 when refused."""
        ok, filing_id = self._pick(self.upload_filing)
        if not ok:
            return 0
        if not files:
            self.error = "Choose at least one file to upload."
            return 0
        incoming = [IncomingFile(name=f.filename or "", stream=f.file) for f in files]
        try:
            await call_in_thread(
                documents.upload_documents,
                client_id=self._client_id,
                filing_id=filing_id,
                files=incoming,
            )
        except NotFound:
            self._after_not_found()
            return 0
        except ServiceError as exc:
            self.error = exc.message
            return 0
        return len(incoming)

    @rx.event
    def ask_delete(self, kind: str, record_id: int):
        if kind in ("document", "email") and (rid := self._id(record_id)) is not None:
            self.confirm_delete = f"{kind}-{rid}"

    @rx.event
    def keep(self):
        self.confirm_delete = ""

    @rx.event
    def delete_document(self, document_id: int):
        if (did := self._id(document_id)) is not None and self._act(
            documents.delete_document, document_id=did, success="Document deleted."
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
        self.error = ""
        self.notice = ""
        try:
            await call_in_thread(
                emails.send_email,
                client_id=self._client_id,
                to=form.get("to"),
                subject=form.get("subject"),
                body=form.get("body"),
                attachment_document_id=self.attach_document or None,
            )
        except NotFound:
            self._after_not_found()
            return
        except ServiceError as exc:
            self.error = exc.message
            self._refresh()
            return
        self._refresh()
        self.composing = False
        self.attach_document = 0
        self.attach_name = ""
        self.notice = "Email sent."

    @rx.event
    def delete_email(self, email_id: int):
        if (eid := self._id(email_id)) is not None and self._act(
            emails.delete_email, email_id=eid, success="Email deleted."
        ):
            self.confirm_delete = ""
