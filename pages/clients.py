"""The staff client list."""

from __future__ import annotations

import reflex as rx

from pages.components import (
    confirm_duplicate,
    empty_state,
    field,
    messages,
    pager,
    submit_form,
    textarea_field,
)
from pages.layout import shell
from portal import routes
from state.clients import ClientsState as S


def _new_client() -> rx.Component:
    return rx.cond(
        S.adding,
        rx.card(
            submit_form(
                rx.heading("New client", as_="h2", size="4"),
                rx.grid(
                    field("Client name", name="name", id="new-client-name"),
                    field("Business number", name="business_number", id="new-client-bn"),
                    field("Contact name", name="contact_name", id="new-client-contact"),
                    field(
                        "Contact email", name="contact_email", type="email", id="new-client-email"
                    ),
                    field("Phone", name="phone", id="new-client-phone"),
                    field("Address", name="address", id="new-client-address"),
                    columns="2",
                    spacing="3",
                    width="100%",
                ),
                textarea_field("Notes", name="notes", id="new-client-notes"),
                confirm_duplicate(S),
                rx.hstack(
                    rx.button("Create client", type="submit"),
                    rx.button("Cancel", type="button", variant="soft", on_click=S.toggle_add),
                    margin_top="0.75em",
                ),
                on_submit=S.create,
                form_id="new-client",
                aria_label="New client",
            ),
            width="100%",
        ),
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("Client"),
                rx.table.column_header_cell("Business number"),
                rx.table.column_header_cell("Contact"),
                rx.table.column_header_cell("Active filings"),
            )
        ),
        rx.table.body(
            rx.foreach(
                S.rows,
                lambda c: rx.table.row(
                    rx.table.cell(rx.link(c.name, href=c.url)),
                    rx.table.cell(c.business_number),
                    rx.table.cell(c.contact_name),
                    rx.table.cell(c.active_filings),
                ),
            )
        ),
        width="100%",
    )


def clients_page() -> rx.Component:
    return shell(
        rx.hstack(
            rx.heading("Clients", as_="h1", size="6"),
            rx.spacer(),
            # A link (it opens a page) dressed as a button.
            rx.button(
                rx.link("Import from CSV", href=routes.CLIENT_IMPORT, underline="none"),
                as_child=True,
                variant="soft",
            ),
            rx.button("New client", on_click=S.toggle_add),
            width="100%",
            align="center",
        ),
        messages(S),
        _new_client(),
        rx.form(
            rx.hstack(
                rx.input(
                    name="q",
                    default_value=S.search,
                    placeholder="Name, business number or contact",
                    aria_label="Search clients",
                    width="24em",
                ),
                rx.button("Search", type="submit", variant="soft"),
            ),
            on_submit=S.find,
            role="search",
        ),
        rx.cond(
            S.rows.length() > 0,
            _table(),
            empty_state(
                "No clients found",
                rx.cond(S.search != "", "Try another search.", "Add your first client."),
            ),
        ),
        pager(S, "clients"),
    )
