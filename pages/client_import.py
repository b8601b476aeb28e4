"""Importing clients from a CSV file (staff): choose the file, check the preview, import."""

from __future__ import annotations

import reflex as rx

from pages.browser import pressable
from pages.components import (
    action_button,
    callout,
    file_drop,
    messages,
    native_select,
    once_attrs,
)
from pages.layout import shell
from portal import routes
from portal.services import client_import
from state.client_import import CLEAR_FILES_BUTTON, UPLOAD_ID
from state.client_import import ClientImportState as S

FIELD_CHOICES = client_import.field_choices()
DUPLICATE_CHOICES = [
    (client_import.SKIP, "Skip them: keep those clients as they are"),
    (client_import.UPDATE, "Update them with the file's values (empty cells change nothing)"),
]


def _columns_help() -> rx.Component:
    return rx.text(
        "The first row must name the columns. Recognised: client name (required), business "
        "number, contact name, contact email, phone, address and notes; other columns are "
        f"left out. At most {client_import.MAX_BYTES // 1024 // 1024} MB and "
        f"{client_import.MAX_ROWS:,} rows, saved as CSV UTF-8 (UTF-16 with a byte-order mark "
        "works too). Nothing is written until you press Import.",
        size="2",
        color_scheme="gray",
    )


def _choose() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("1. Choose the file", as_="h2", size="4"),
            _columns_help(),
            file_drop(
                "CSV file of clients",
                rx.vstack(
                    rx.button("Choose a CSV file", type="button", variant="soft"),
                    rx.text("or drop it here", size="2", color_scheme="gray"),
                    align="center",
                ),
                id=UPLOAD_ID,
                multiple=False,
                accept={"text/csv": [".csv"], "text/plain": [".txt"]},
                border="1px dashed var(--gray-7)",
                padding="1em",
                width="100%",
            ),
            rx.foreach(rx.selected_files(UPLOAD_ID), lambda name: rx.text(name, size="2")),
            pressable(CLEAR_FILES_BUTTON, rx.clear_selected_files(UPLOAD_ID)),
            rx.button(
                "Upload and preview",
                id="client-import-upload",
                on_click=[
                    S.begin_upload(S.submit_token),
                    S.upload(rx.upload_files(upload_id=UPLOAD_ID)),
                ],
                loading=S.uploading,
                custom_attrs=once_attrs(),
            ),
            spacing="3",
            width="100%",
            align="stretch",
        ),
        width="100%",
    )


def _mapping_cell(col) -> rx.Component:
    return rx.table.column_header_cell(
        rx.vstack(
            rx.text(col.header, weight="bold"),
            native_select(
                FIELD_CHOICES,
                value=col.field,
                on_change=lambda value: S.set_mapping(col.index, value),
                aria_label="What the column “" + col.header + "” holds",
                disabled=S.importing,
            ),
            spacing="1",
        )
    )


def _mapping_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.el.caption("Columns of the file and its first rows", class_name="sr-only"),
            rx.table.header(rx.table.row(rx.foreach(S.columns, _mapping_cell))),
            rx.table.body(
                rx.foreach(
                    S.sample,
                    lambda row: rx.table.row(rx.foreach(row, lambda cell: rx.table.cell(cell))),
                )
            ),
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )


def _counts() -> rx.Component:
    return rx.el.ul(
        rx.foreach(S.counts, lambda line: rx.el.li(rx.text(line, size="2"))),
        id="client-import-counts",
        aria_live="polite",
        style={"margin_left": "1.2em"},
    )


def _errors() -> rx.Component:
    return rx.cond(
        S.error_rows > 0,
        rx.vstack(
            rx.heading("Rows with errors", as_="h3", size="3"),
            rx.text(
                "These rows are not imported. Fix them in the file and upload it again, or "
                "import the other rows and skip these.",
                size="2",
            ),
            rx.el.ul(
                rx.foreach(S.errors, lambda line: rx.el.li(rx.text(line, size="2"))),
                id="client-import-errors",
                style={"margin_left": "1.2em"},
            ),
            rx.cond(
                S.error_rows > S.errors.length(),
                rx.text("… and more: only the first ", S.errors.length(), " are listed.", size="2"),
            ),
            spacing="2",
            width="100%",
            align="stretch",
        ),
    )


def _duplicates() -> rx.Component:
    return rx.cond(
        S.duplicate_rows.length() > 0,
        rx.vstack(
            rx.heading("Possible duplicates", as_="h3", size="3"),
            rx.text("Same business number, or the same name ignoring case and spacing.", size="2"),
            rx.el.label(
                "Duplicates", html_for="client-import-duplicates", class_name="field-label"
            ),
            native_select(
                DUPLICATE_CHOICES,
                id="client-import-duplicates",
                value=S.on_duplicate,
                on_change=S.choose_duplicates,
                disabled=S.importing,
                width="auto",
            ),
            rx.table.root(
                rx.el.caption("Possible duplicates", class_name="sr-only"),
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Row"),
                        rx.table.column_header_cell("Client"),
                        rx.table.column_header_cell("Matches"),
                        rx.table.column_header_cell("What happens"),
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        S.duplicate_rows,
                        lambda d: rx.table.row(
                            rx.table.cell(d.row),
                            rx.table.cell(d.name),
                            rx.table.cell(d.matches),
                            rx.table.cell(d.outcome),
                        ),
                    )
                ),
                width="100%",
            ),
            spacing="2",
            width="100%",
            align="stretch",
        ),
    )


def _progress() -> rx.Component:
    return rx.cond(
        S.importing,
        rx.vstack(
            rx.progress(value=S.progress, max=100, aria_label="Import progress"),
            rx.text(S.progress_label, size="2", aria_live="polite", id="client-import-progress"),
            width="100%",
            spacing="1",
        ),
    )


def _preview() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("2. Check the preview", as_="h2", size="4"),
            rx.text(
                "Each column's meaning was guessed from its header: change any of them below.",
                size="2",
            ),
            _mapping_table(),
            rx.cond(
                S.blocking != "",
                callout(S.blocking, icon="triangle_alert", color_scheme="amber", role="alert"),
                rx.fragment(_counts(), _errors(), _duplicates()),
            ),
            rx.heading("3. Import", as_="h2", size="4"),
            rx.cond(
                S.error_rows > 0,
                rx.checkbox(
                    "Import the other rows and skip the rows with errors",
                    checked=S.skip_errors,
                    on_change=S.set_skip_errors,
                    disabled=S.importing,
                    id="client-import-skip-errors",
                ),
            ),
            _progress(),
            rx.hstack(
                action_button(
                    "Import",
                    S.run_import(S.submit_token),
                    id="client-import-run",
                    disabled=S.importing
                    | (S.blocking != "")
                    | ((S.error_rows > 0) & ~S.skip_errors),
                ),
                rx.button(
                    "Start over",
                    type="button",
                    variant="soft",
                    on_click=S.start_over,
                    disabled=S.importing,
                ),
                spacing="3",
            ),
            spacing="3",
            width="100%",
            align="stretch",
        ),
        width="100%",
    )


def _done() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Import finished", as_="h2", size="4"),
            rx.text(S.summary, id="client-import-summary"),
            rx.hstack(
                rx.link("Go to the client list", href=routes.CLIENTS),
                rx.button("Import another file", variant="soft", on_click=S.start_over),
                spacing="4",
                align="center",
            ),
            spacing="3",
        ),
        width="100%",
    )


def client_import_page() -> rx.Component:
    return shell(
        rx.hstack(
            rx.heading("Import clients from CSV", as_="h1", size="6"),
            rx.spacer(),
            rx.link("Back to clients", href=routes.CLIENTS),
            width="100%",
            align="center",
        ),
        messages(S),
        rx.match(
            S.stage,
            ("preview", _preview()),
            ("done", _done()),
            _choose(),
        ),
    )
