"""A document's in-app preview page: loaded through the documents service's scope check
(out of scope and missing read alike: not found)."""

from __future__ import annotations

import reflex as rx

from portal.services import document_preview
from portal.services.document_preview import Preview
from state.page import PageMixin
from state.session import SessionState


class DocumentPreviewState(PageMixin, SessionState):
    preview: Preview = Preview()

    @rx.event
    def load(self):
        document_id = self._route_id("document_id")
        if document_id is None:
            self._not_found()
            return
        found = self._load(document_preview.preview, document_id=document_id)
        if found is not None:
            self.preview = found
