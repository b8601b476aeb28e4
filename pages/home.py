"""The firm home for staff and admins: open steps by assignee, due soon and overdue."""

from __future__ import annotations

import reflex as rx

from pages.components import counter, due_badge, empty_state, messages, section
from pages.layout import shell
from pages.workload import open_steps_section
from state.home import HomeState as S


def _step_list(rows, empty: str) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Step"),
                    rx.table.column_header_cell("Client · filing"),
                    rx.table.column_header_cell("Assignee"),
                    rx.table.column_header_cell("Due"),
                )
            ),
            rx.table.body(
                rx.foreach(
                    rows,
                    lambda r: rx.table.row(
                        rx.table.cell(rx.link(r.title, href=r.filing_url)),
                        rx.table.cell(r.client_name, " · ", r.filing_title),
                        rx.table.cell(r.assignee),
                        rx.table.cell(due_badge(r.due_label, r.due_state)),
                    ),
                )
            ),
            width="100%",
        ),
        rx.text(empty, color_scheme="gray"),
    )


def _waiting_for_me() -> rx.Component:
    """Filings waiting for this person's review or sign-off: shown only when there are."""
    return rx.cond(
        S.waiting_for_me.length() > 0,
        section(
            "Waiting for your review",
            rx.el.ul(
                rx.foreach(
                    S.waiting_for_me,
                    lambda w: rx.el.li(
                        rx.link(w.heading, href=w.url),
                        rx.text(
                            w.asked,
                            rx.cond(w.since_label != "", " · since " + w.since_label, ""),
                            size="2",
                            color_scheme="gray",
                        ),
                    ),
                ),
                aria_label="Filings waiting for your review or sign-off",
            ),
        ),
    )


def home_page() -> rx.Component:
    return shell(
        rx.heading("Firm home", as_="h1", size="6"),
        messages(S),
        rx.hstack(
            counter("Open steps", S.open_steps),
            counter("Due soon", S.due_soon.length(), "amber"),
            counter("Overdue", S.overdue.length(), "red"),
            counter("Unassigned", S.unassigned),
            spacing="4",
            wrap="wrap",
        ),
        _waiting_for_me(),
        open_steps_section(S, on_home=True),
        section(
            "Open steps by assignee",
            rx.cond(
                S.by_assignee.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Person"),
                            rx.table.column_header_cell("Role"),
                            rx.table.column_header_cell("Open"),
                            rx.table.column_header_cell("Due soon"),
                            rx.table.column_header_cell("Overdue"),
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            S.by_assignee,
                            lambda a: rx.table.row(
                                rx.table.cell(a.name),
                                rx.table.cell(a.role_label),
                                rx.table.cell(a.open_steps),
                                rx.table.cell(a.due_soon),
                                rx.table.cell(a.overdue),
                            ),
                        )
                    ),
                    width="100%",
                ),
                empty_state("Nothing open", "Every step on active filings is done."),
            ),
        ),
        section("Overdue", _step_list(S.overdue, "Nothing is overdue.")),
        section("Due in the next 7 days", _step_list(S.due_soon, "Nothing is due soon.")),
    )
