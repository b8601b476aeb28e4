"""Importing clients from a CSV file (staff): upload, preview with the column mapping, row
errors and duplicates, then the import with a progress bar and its summary.

The file's bytes never stay in Reflex's public upload folder: the upload handler reads them
and hands them to the import service, which keeps them under the data folder, named by a
random key held only here, server side (`_stash`)."""

from __future__ import annotations

import asyncio

import reflex as rx

from portal import browser
from portal.services import client_import
from portal.services.client_import import Column, DuplicateRow, Preview, Progress
from portal.services.errors import Invalid
from state.page import PageMixin, attempt
from state.session import SessionState

UPLOAD_ID = "client-import-file"
# The page's hidden button that clears the upload's chosen file (pages/client_import.py).
CLEAR_FILES_BUTTON = "client-import-clear"
# How often the progress bar moves while the import runs.
PROGRESS_EVERY_SECONDS = 0.25


class ClientImportState(PageMixin, SessionState):
    # "choose" (no file yet), "preview", or "done".
    stage: str = "choose"
    file_name: str = ""
    columns: list[Column] = []
    sample: list[list[str]] = []
    rows: int = 0
    new: int = 0
    duplicates: int = 0
    within_file: int = 0
    ambiguous: int = 0
    error_rows: int = 0
    errors: list[str] = []
    # What the preview found, one line each, in words.
    counts: list[str] = []
    duplicate_rows: list[DuplicateRow] = []
    blocking: str = ""
    on_duplicate: str = client_import.SKIP
    skip_errors: bool = False
    uploading: bool = False
    importing: bool = False
    progress: int = 0
    progress_label: str = ""
    summary: str = ""
    created: int = 0
    updated: int = 0
    # The uploaded file, kept server side by the service (its key and the name it came with).
    _stash: str = ""
    _name: str = ""
    _upload_token: str = ""
    _skip_upload: bool = False

    @rx.event
    def load(self):
        self._forget_file()
        self.reset()
        self._rotate_token()

    def _forget_file(self) -> None:
        if self._stash:
            client_import.drop_stash(self._stash)
        self._stash = ""
        self._name = ""

    def _show(self, view: Preview) -> None:
        self.stage = "preview"
        self.file_name = view.file_name
        self.columns = view.columns
        self.sample = view.sample
        self.rows = view.rows
        self.new = view.new
        self.duplicates = view.duplicates
        self.within_file = view.within_file
        self.ambiguous = view.ambiguous
        self.error_rows = view.error_rows
        self.errors = view.errors
        self.duplicate_rows = view.duplicate_rows
        self.blocking = view.blocking
        self.counts = _count_lines(view)

    def _preview(self, mapping: list[str] | None) -> None:
        if not self._stash:
            self.error = "Choose a CSV file first."
            return
        try:
            upload = client_import.unstash(self._stash, self._name)
        except Invalid as exc:
            self.error = exc.message
            return
        view = self._load(
            client_import.preview, upload=upload, mapping=mapping, on_duplicate=self.on_duplicate
        )
        if view is not None:
            self.error = ""
            self._show(view)

    # Choosing the file.

    @rx.event
    def begin_upload(self, token: str = ""):
        """The first half of the button; the same click arriving twice (same token) makes its
        second upload do nothing."""
        token = str(token or "")[:64]
        self._skip_upload = bool(token) and token == self._upload_token
        self._upload_token = token
        if not self._skip_upload:
            self.uploading = True

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        if self._skip_upload:
            self._skip_upload = False
            return
        try:
            kept = self._keep(files)
        finally:
            self.uploading = False
        if kept:
            self.on_duplicate = client_import.SKIP
            self.skip_errors = False
            self._preview(None)
            if self.stage != "preview":
                # Unreadable: nothing of it is kept.
                self._forget_file()
            yield browser.press(CLEAR_FILES_BUTTON)

    def _keep(self, files: list[rx.UploadFile]) -> bool:
        self._rotate_token()
        self.notice = ""
        if len(files) != 1:
            self.error = "Choose one CSV file to import."
            return False
        upload = files[0]
        try:
            key = client_import.stash(upload.file)
        except Invalid as exc:
            self.error = exc.message
            return False
        self._forget_file()
        self._stash = key
        self._name = client_import.file_name(upload.filename)
        self.summary = ""
        return True

    # Adjusting the preview.

    @rx.event
    def set_mapping(self, index: int, value: str):
        if self.stage != "preview" or self.importing:
            return
        mapping = client_import.mapping_of(self.columns)
        if not isinstance(index, int) or not 0 <= index < len(mapping):
            self.error = "That column is not in the file. Upload it again."
            return
        value = str(value or "")
        # A field chosen for this column leaves the column that had it.
        mapping = ["" if (value and m == value) else m for m in mapping]
        mapping[index] = value
        self._preview(mapping)

    @rx.event
    def choose_duplicates(self, value: str):
        if self.stage != "preview" or self.importing:
            return
        if value not in (client_import.SKIP, client_import.UPDATE):
            self.error = "Choose what happens to duplicates from the list."
            return
        self.on_duplicate = value
        self._preview(client_import.mapping_of(self.columns))

    @rx.event
    def set_skip_errors(self, checked: bool):
        self.skip_errors = bool(checked)

    @rx.event
    def start_over(self):
        if self.importing:
            return
        self._forget_file()
        self.reset()
        self._rotate_token()

    # The import.

    @rx.event
    async def run_import(self, token: str = ""):
        """One transaction in a worker thread; the bar follows the rows written. A second
        click of the same submission (same token) runs nothing."""
        if self.importing or self.stage != "preview":
            return
        if not self._stash:
            self.error = "Choose a CSV file first."
            return
        try:
            upload = client_import.unstash(self._stash, self._name)
        except Invalid as exc:
            self.error = exc.message
            return
        where = {"done": 0, "total": 0}

        def report(done: int, total: int) -> None:
            where["done"], where["total"] = done, total

        kwargs = {
            "upload": upload,
            "mapping": client_import.mapping_of(self.columns),
            "on_duplicate": self.on_duplicate,
            "skip_errors": self.skip_errors,
            "progress": Progress(report),
        }
        self.importing = True
        self.progress = 0
        self.progress_label = "Starting the import…"
        self.error = self.notice = ""
        yield
        task = asyncio.ensure_future(
            asyncio.to_thread(attempt, client_import.import_clients, str(token or ""), kwargs)
        )
        while not task.done():
            await asyncio.wait({task}, timeout=PROGRESS_EVERY_SECONDS)
            if where["total"]:
                self.progress = round(100 * where["done"] / where["total"])
                self.progress_label = f"{where['done']:,} of {where['total']:,} clients written"
                yield
        self.importing = False
        done = self._settle(task.result(), "", None, "", shown=lambda _result: None)
        if done is None or done.repeat:
            return
        result = done.result
        self.progress = 100
        self.stage = "done"
        self.created = result.created
        self.updated = result.updated
        self.summary = result.summary()
        self.notice = "Import finished: " + self.summary
        self._forget_file()


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _count_lines(view: Preview) -> list[str]:
    lines = [
        f"{_plural(view.rows, 'row', 'rows')} in {view.file_name}",
        f"{_plural(view.new, 'new client', 'new clients')} to create",
        f"{_plural(view.duplicates, 'row matches', 'rows match')} a client you already have",
        f"{_plural(view.within_file, 'row repeats', 'rows repeat')} an earlier row of the file",
    ]
    if view.ambiguous:
        lines.append(
            f"{_plural(view.ambiguous, 'row matches', 'rows match')} more than one client (skipped)"
        )
    lines.append(f"{_plural(view.error_rows, 'row', 'rows')} with errors (not imported)")
    return lines
