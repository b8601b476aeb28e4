"""My Tasks: one line per step, "client · filing kind · due state" under its title.

No client list, no firm-wide dashboards: only the person's own work and three counters.
"""

from __future__ import annotations

import reflex as rx

from pages.components import counter, due_badge, empty_state, messages, native_select, pager
from pages.layout import shell
from pages.step_card import STATUS_OPTIONS
from state.tasks import TasksState as S

SORT_OPTIONS = [
    ("due", "Due date, soonest first"),
    ("due_desc", "Due date, latest first"),
    ("client", "Client"),
]


def _task(row) -> rx.Component:
    return rx.card(
        rx.link(
            rx.vstack(
                rx.text(row.title, weight="bold", size="3"),
                rx.text(
                    row.client_name,
                    " · ",
                    row.filing_kind,
                    " · ",
                    rx.el.span(row.due_label, class_name="due-" + row.due_state),
                    size="2",
                    color_scheme="gray",
                ),
                rx.hstack(
                    due_badge(row.status_label, row.due_state),
                    rx.text(row.filing_title, size="1", color_scheme="gray"),
                    spacing="2",
                    align="center",
                ),
                spacing="1",
            ),
            href=row.url,
            underline="none",
            color="inherit",
        ),
        width="100%",
    )


def _filter(label: str, control_id: str, control) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=control_id, class_name="field-label"),
        control,
        spacing="1",
    )


def tasks_page() -> rx.Component:
    return shell(
        rx.heading("My tasks", as_="h1", size="6"),
        messages(S),
        rx.hstack(
            counter("Assigned", S.assigned),
            counter("Due soon", S.due_soon, "amber"),
            counter("Overdue", S.overdue, "red"),
            spacing="4",
            wrap="wrap",
            role="group",
            aria_label="Dashboard",
        ),
        rx.hstack(
            _filter(
                "Status",
                "filter-status",
                native_select(
                    STATUS_OPTIONS,
                    id="filter-status",
                    empty="All statuses",
                    value=S.status_filter,
                    on_change=S.filter_status,
                ),
            ),
            _filter(
                "Client",
                "filter-client",
                native_select(
                    S.client_options,
                    id="filter-client",
                    value_of=lambda c: c.id.to_string(),
                    label_of=lambda c: c.name,
                    empty="All clients",
                    value=S.client_filter,
                    on_change=S.filter_client,
                ),
            ),
            _filter(
                "Sort by",
                "sort-by",
                native_select(SORT_OPTIONS, id="sort-by", value=S.sort, on_change=S.sort_by),
            ),
            spacing="4",
            wrap="wrap",
            role="search",
            aria_label="Filter tasks",
        ),
        rx.cond(
            S.rows.length() > 0,
            rx.grid(
                rx.foreach(S.rows, _task),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            empty_state(
                "No tasks here",
                rx.cond(
                    S.assigned > 0,
                    "No task matches these filters.",
                    "Nothing is assigned to you on an active filing right now.",
                ),
            ),
        ),
        rx.cond(S.pages > 1, pager(S, "tasks")),
    )
