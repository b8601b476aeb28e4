"""Admin: bookkeeper logins, which never take a staff seat."""

from __future__ import annotations

import reflex as rx

from pages.components import callout, empty_state, login_status, messages, section
from pages.layout import shell
from pages.settings import login_actions, login_form, mail_note, restore_button, show_archived
from state.bookkeepers import BookkeepersState as S


def _table(rows=S.bookkeepers, actions=lambda p: login_actions(S, p)) -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(h)
                    for h in ("Name", "Email", "Status", "Last sign-in", "Open steps", "Actions")
                ]
            )
        ),
        rx.table.body(
            rx.foreach(
                rows,
                lambda p: rx.table.row(
                    rx.table.cell(p.name),
                    rx.table.cell(p.email),
                    rx.table.cell(login_status(p)),
                    rx.table.cell(p.last_sign_in),
                    rx.table.cell(p.open_steps),
                    rx.table.cell(actions(p)),
                ),
            )
        ),
        width="100%",
    )


def bookkeepers_page() -> rx.Component:
    return shell(
        rx.heading("Bookkeepers", as_="h1", size="6"),
        rx.text(
            "Staff seats: ",
            rx.text.strong(S.plan.seats_used, " of ", S.plan.staff_seats, " used"),
            " · Bookkeeper logins: ",
            rx.text.strong("unlimited"),
            " (they never take a seat)",
        ),
        messages(S),
        rx.cond(
            S.plan.portal_enabled,
            rx.fragment(),
            callout(
                "The Bookkeeper Portal add-on is off, so bookkeepers cannot sign in and "
                "cannot be assigned steps. To turn it on, open ",
                rx.link("Settings", href="/settings"),
                ", tick “Bookkeeper Portal add-on” (it needs Filing Steps) and save.",
                icon="info",
                color_scheme="amber",
                role="status",
            ),
        ),
        mail_note(S),
        rx.cond(
            S.plan.portal_enabled,
            login_form(S, title="Add a bookkeeper login", button="Add bookkeeper", prefix="bk"),
        ),
        section(
            "Logins",
            rx.cond(
                S.bookkeepers.length() > 0,
                _table(),
                empty_state("No bookkeepers yet", "Add a login to bring someone on."),
            ),
            show_archived(S, _table(S.archived, lambda p: restore_button(S, p))),
        ),
    )
