"""Document links on any page that lists documents: checked before the browser fetches."""

from __future__ import annotations

import reflex as rx

from portal.services import documents
from portal.services.errors import NotFound, ServiceError
from state.calls import call
from state.page import PageMixin

GONE = (
    "That document is no longer available: it was deleted, or it is no longer yours to open. "
    "The list has been refreshed."
)


class DocumentLinksMixin(PageMixin, mixin=True):
    @rx.event
    def download(self, document_id: int):
        """A download link asks first, so a deleted document is said to be gone on the page
        instead of failing silently in the browser's download bar."""
        if (did := self._id(document_id)) is None:
            return None
        try:
            url, filename = call(documents.download_link, document_id=did)
        except NotFound:
            self._after_not_found(message=GONE)
            return None
        except ServiceError as exc:
            self.error = exc.message
            return None
        return rx.download(url=url, filename=filename)
