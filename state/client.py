"""A client's page. Staff get every control; a bookkeeper in scope reads it (later issues add
their read-only view); the data held here is only ever what the service let through."""

from __future__ import annotations

import reflex as rx

from portal import routes
from portal.services import clients, documents, emails, workspace
from portal.services import filings as filing_service
from portal.services.clients import ClientInfo, FilingRow
from portal.services.documents import DocumentRow, IncomingFile
from portal.services.emails import EmailRow
from portal.services.errors import NotFound, ServiceError
from state.page import PageMixin
from state.session import SessionState, call, call_in_thread

UPLOAD_ID = "client-documents"


class ClientState(PageMixin, SessionState):
    info: ClientInfo = ClientInfo()
    filings: list[FilingRow] = []
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
        self.filings = page.filings
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
        try:
            version = int(form.get("version") or 0)
        except ValueError:
            version = 0
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

    # Documents.

    @rx.event
    def choose_upload_filing(self, value: str):
        self.upload_filing = str(value or "")

    @rx.event
    def upload_progress(self, progress: dict):
        try:
            self.upload_percent = max(0, min(100, round(float(progress["progress"]) * 100)))
        except (KeyError, TypeError, ValueError):
            return
        self.uploading = self.upload_percent < 100

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        self.error = ""
        self.notice = ""
        ok, filing_id = self._pick(self.upload_filing)
        if not ok:
            return
        if not files:
            self.error = "Choose at least one file to upload."
            return
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
            return
        except ServiceError as exc:
            self.error = exc.message
            return
        finally:
            self.uploading = False
        self._refresh()
        count = len(incoming)
        self.notice = f"{count} document{'s' if count != 1 else ''} uploaded."
        yield rx.clear_selected_files(UPLOAD_ID)

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
