"""Sessions on screen: the account page's "Your sessions" section (every browser signed in as
the person, this one marked; each other one can be ended, or all of them at once), and the
admins' "End sessions" on the staff and bookkeeper lists, which asks once more."""

from __future__ import annotations

import reflex as rx

from pages.components import action_button, section, table_region
from state.account import AccountState as S


def _row(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            row.browser,
            rx.cond(
                row.is_current,
                rx.badge("This browser", color_scheme="teal", margin_left="0.5em"),
            ),
        ),
        rx.table.cell(row.ip),
        rx.table.cell(row.started),
        rx.table.cell(row.last_seen),
        rx.table.cell(
            rx.cond(
                row.is_current,
                rx.text("Sign out to end it", size="1", color_scheme="gray"),
                action_button(
                    "End session",
                    S.end_session(S.submit_token, row.id),
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    aria_label="End the session of "
                    + row.browser
                    + " at "
                    + row.ip
                    + ", last seen "
                    + row.last_seen,
                ),
            )
        ),
    )


def sessions_section() -> rx.Component:
    return section(
        "Your sessions",
        rx.text(
            "Every browser signed in as you. End any you do not recognise, then change your "
            "password."
        ),
        table_region(
            "Your sessions",
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(h)
                        for h in ("Browser", "Address", "Started", "Last seen", "Actions")
                    ]
                )
            ),
            rx.table.body(rx.foreach(S.my_sessions, _row)),
            aria_label="Your sessions",
        ),
        rx.cond(
            S.my_sessions.length() > 1,
            rx.box(
                action_button(
                    "End all other sessions",
                    S.end_other_sessions(S.submit_token),
                    variant="soft",
                    color_scheme="red",
                )
            ),
        ),
    )


def end_sessions_control(state, person) -> rx.Component:
    """Admins: "End sessions", then "Yes, end all" or "Keep"."""
    return rx.cond(
        state.confirm_end_sessions == person.id,
        rx.hstack(
            action_button(
                "Yes, end all",
                state.end_sessions(state.submit_token, person.id),
                size="1",
                color_scheme="red",
                aria_label="Yes, end all sessions of " + person.name,
            ),
            rx.button(
                "Keep",
                size="1",
                variant="soft",
                on_click=state.keep_sessions,
                aria_label="Keep the sessions of " + person.name,
            ),
            spacing="2",
        ),
        rx.button(
            "End sessions",
            size="1",
            variant="soft",
            color_scheme="red",
            on_click=state.ask_end_sessions(person.id),
            aria_label="End every session of " + person.name,
        ),
    )
