"""Lists of documents: download and view links for everyone in scope, controls for staff.

Reflex turns a link into a client-side router link; `reload_document` hands the click back to
the browser, because a download is an HTTP request to the authenticated route, not a page.
With `on_download`, a click first asks the page whether the document is still there, so a
document deleted since the list was drawn is said to be gone instead of failing silently in
the browser's download bar; the link's address stays for "save link as".
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx


def download_link(text, *, url, document_id, on_download=None, **props) -> rx.Component:
    """A link to the authenticated download route."""
    if on_download is not None:
        props["on_click"] = on_download(document_id).prevent_default
    return rx.el.a(
        text,
        href=url,
        reload_document=True,
        # A download, not a navigation: without it the browser fires beforeunload and
        # Reflex drops the page's live connection.
        download=True,
        class_name="file-link",
        **props,
    )


def document_list(
    rows, controls: Callable | None = None, on_download: Callable | None = None
) -> rx.Component:
    def row(doc) -> rx.Component:
        return rx.table.row(
            rx.table.cell(
                download_link(
                    doc.filename,
                    url=doc.download_url,
                    document_id=doc.id,
                    on_download=on_download,
                    aria_label="Download " + doc.filename,
                )
            ),
            rx.table.cell(doc.filing_label),
            rx.table.cell(doc.size_label),
            rx.table.cell(doc.uploaded_label),
            rx.table.cell(
                rx.hstack(
                    rx.cond(
                        doc.preview_url != "",
                        # CSV and text: shown on a page of the app, a table or plain text.
                        rx.link(
                            "View",
                            href=doc.preview_url,
                            aria_label="View " + doc.filename,
                            class_name="file-link",
                        ),
                        rx.cond(
                            doc.viewable,
                            rx.el.a(
                                "View",
                                href=doc.view_url,
                                reload_document=True,
                                target="_blank",
                                rel="noopener",
                                aria_label="View " + doc.filename,
                                class_name="file-link",
                            ),
                        ),
                    ),
                    controls(doc) if controls else rx.fragment(),
                    spacing="3",
                    align="center",
                )
            ),
        )

    return rx.cond(
        rows.length() > 0,
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Name"),
                    rx.table.column_header_cell("Filing"),
                    rx.table.column_header_cell("Size"),
                    rx.table.column_header_cell("Uploaded"),
                    rx.table.column_header_cell("Actions"),
                )
            ),
            rx.table.body(rx.foreach(rows, row)),
            width="100%",
            size="1",
        ),
        rx.text("No documents yet.", color_scheme="gray"),
    )
