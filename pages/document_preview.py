"""A CSV or plain-text document shown inside the app: a table for CSV, preformatted text for
.txt, with the download beside it. Every cell and line is text (Reflex escapes it): a cell
holding `<script>` shows those characters, nothing runs."""

from __future__ import annotations

import reflex as rx

from pages.components import messages
from pages.documents import download_link
from pages.layout import shell
from state.document_preview import DocumentPreviewState as S


def _table() -> rx.Component:
    return rx.box(
        rx.table.root(
            # The table's name, for screen readers (the page's heading shows it already).
            rx.el.caption("Contents of " + S.preview.filename, class_name="sr-only"),
            rx.table.header(
                rx.table.row(
                    rx.foreach(
                        S.preview.columns,
                        lambda name: rx.table.column_header_cell(name, scope="col"),
                    )
                )
            ),
            rx.table.body(
                rx.foreach(
                    S.preview.rows,
                    lambda row: rx.table.row(
                        rx.foreach(row, lambda value: rx.table.cell(value)),
                    ),
                )
            ),
            size="1",
            variant="surface",
        ),
        overflow_x="auto",
        width="100%",
    )


def _text() -> rx.Component:
    return rx.el.pre(
        S.preview.text,
        aria_label="Contents of " + S.preview.filename,
        tab_index=0,
        style={
            "white_space": "pre-wrap",
            "overflow_wrap": "anywhere",
            "font_size": "0.85em",
            "padding": "1em",
            "border": "1px solid var(--gray-5)",
            "border_radius": "var(--radius-2)",
            "max_height": "70vh",
            "overflow": "auto",
        },
    )


def _empty() -> rx.Component:
    return rx.text("This file is empty.", color_scheme="gray")


def document_preview_page() -> rx.Component:
    return shell(
        rx.vstack(
            rx.link("Back to the client", href=S.preview.client_url, size="2"),
            rx.heading(S.preview.filename, as_="h1", size="6"),
            rx.hstack(
                download_link(
                    "Download",
                    url=S.preview.download_url,
                    document_id=S.preview.document_id,
                    aria_label="Download " + S.preview.filename,
                ),
                align="center",
                spacing="3",
            ),
            spacing="2",
        ),
        messages(S),
        rx.foreach(
            S.preview.notes,
            lambda note: rx.callout(note, icon="info", color_scheme="gray", size="1"),
        ),
        rx.match(
            S.preview.kind,
            (
                "csv",
                rx.cond(
                    S.preview.columns.length() > 0,
                    _table(),
                    _empty(),
                ),
            ),
            (
                "text",
                rx.cond(
                    S.preview.text != "",
                    _text(),
                    rx.text("This file is empty.", color_scheme="gray"),
                ),
            ),
            rx.fragment(),
        ),
    )
