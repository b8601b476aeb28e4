"""The firm's staff and admins."""

from __future__ import annotations

import reflex as rx

from pages.components import login_status, messages
from pages.layout import shell
from state.staff import StaffState as S


def people_table(rows, actions=None) -> rx.Component:
    """A table of logins; `actions` renders per-row controls (admin pages)."""
    headers = ["Name", "Email", "Role", "Status", "Last sign-in"]
    if actions:
        headers.append("Actions")
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(
            rx.foreach(
                rows,
                lambda p: rx.table.row(
                    rx.table.cell(p.name),
                    rx.table.cell(p.email),
                    rx.table.cell(p.role_label),
                    rx.table.cell(login_status(p)),
                    rx.table.cell(p.last_sign_in),
                    *([rx.table.cell(actions(p))] if actions else []),
                ),
            )
        ),
        width="100%",
    )


def staff_page() -> rx.Component:
    return shell(
        rx.heading("Staff", as_="h1", size="6"),
        messages(S),
        people_table(S.people),
    )
