"""The access review: who can open which client now, each person's or client's history of
access, and who could open a client between two days, each view a page at a time and as CSV."""

from __future__ import annotations

import reflex as rx

from pages.components import DATE_MAX, DATE_MIN, empty_state, messages, pager, select_field
from pages.layout import shell
from portal import routes
from state.access_review import AccessReviewState as S

VIEWS = (
    ("now", "Right now"),
    ("history", "History"),
    ("between", "Between two days"),
)
COLUMNS = ("Person", "Client", "Step", "Filing", "From", "How it began", "Until", "How it ended")


def _picker(label: str, name: str, options, value, on_change, empty: str):
    return rx.box(
        select_field(
            label,
            name=name,
            id=f"access-{name}",
            options=options,
            value_of=lambda o: o.id.to_string(),
            label_of=lambda o: o.label,
            empty=empty,
            value=value,
            on_change=on_change,
        )
    )


def _views() -> rx.Component:
    """The three questions as one radio group: arrow keys move between them, and a screen
    reader announces the group and the chosen view."""
    return rx.vstack(
        rx.el.span("View", id="access-view-label", class_name="field-label"),
        rx.radio_group.root(
            rx.hstack(
                *[rx.radio_group.item(label, value=value) for value, label in VIEWS],
                spacing="4",
            ),
            value=S.view_choice,
            on_change=S.choose_view,
            aria_labelledby="access-view-label",
        ),
        spacing="1",
    )


def _client_search() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label("Find a client", html_for="access-client-search", class_name="field-label"),
            rx.hstack(
                rx.input(
                    id="access-client-search",
                    name="client_search",
                    default_value=S.client_search,
                    placeholder="Name or business number",
                    max_length=100,
                ),
                rx.button("Find", type="submit", variant="soft"),
                spacing="2",
            ),
            spacing="1",
        ),
        on_submit=S.search_clients,
        reset_on_submit=False,
        role="search",
        aria_label="Find a client for the client filter",
    )


def _dates() -> rx.Component:
    def day(label: str, name: str, value):
        return rx.vstack(
            rx.el.label(label, html_for=f"access-{name}", class_name="field-label"),
            rx.input(
                id=f"access-{name}",
                name=name,
                type="date",
                min=DATE_MIN,
                max=DATE_MAX,
                default_value=value,
            ),
            spacing="1",
        )

    return rx.form(
        rx.hstack(
            day("From", "day_from", S.day_from),
            day("To", "day_to", S.day_to),
            rx.button("Show who could open it", type="submit"),
            align="end",
            spacing="3",
            wrap="wrap",
        ),
        on_submit=S.set_dates,
        reset_on_submit=False,
        aria_label="The two days, both included, in UTC",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.el.caption(S.caption, class_name="sr-only"),
        rx.table.header(
            rx.table.row(*[rx.table.column_header_cell(h, scope="col") for h in COLUMNS])
        ),
        rx.table.body(
            rx.foreach(
                S.rows,
                lambda r: rx.table.row(
                    rx.table.row_header_cell(r.person, scope="row"),
                    rx.table.cell(r.client),
                    rx.table.cell(r.step),
                    rx.table.cell(r.filing),
                    rx.table.cell(r.start_label),
                    rx.table.cell(r.began),
                    rx.table.cell(r.end_label),
                    rx.table.cell(r.ended),
                    key=r.key,
                ),
            )
        ),
        width="100%",
        size="1",
    )


def access_review_page() -> rx.Component:
    return shell(
        rx.hstack(
            rx.heading("Access review", as_="h1", size="6"),
            rx.spacer(),
            rx.link("Back to the audit log", href=routes.AUDIT),
            align="center",
            width="100%",
        ),
        rx.text(
            "Who can open which client through their steps, and who could, when and why. "
            "Staff and admins see every client of the firm and are not listed. Times are UTC.",
            color_scheme="gray",
        ),
        messages(S),
        _views(),
        rx.hstack(
            _picker(
                "Person",
                "person",
                S.people,
                S.person_filter,
                S.filter_person,
                "Every bookkeeper",
            ),
            _picker(
                "Client",
                "client",
                S.clients,
                S.client_filter,
                S.filter_client,
                "All clients",
            ),
            _client_search(),
            spacing="4",
            wrap="wrap",
            align="end",
            role="group",
            aria_label="Filters",
        ),
        rx.cond(S.view_choice == "between", _dates()),
        rx.cond(
            S.caption != "",
            rx.hstack(
                rx.heading(S.caption, as_="h2", size="4"),
                rx.spacer(),
                rx.el.a(
                    "Download CSV",
                    href=S.csv_url,
                    reload_document=True,
                    # A download, not a navigation: the page keeps its live connection.
                    download=True,
                    class_name="file-link",
                    aria_label="Download this view as CSV",
                ),
                align="center",
                width="100%",
            ),
        ),
        rx.cond(
            S.rows.length() > 0,
            _table(),
            rx.cond(
                S.caption != "",
                empty_state("Nobody", "No access matches this view and these filters."),
            ),
        ),
        rx.cond(S.total > 0, pager(S, "periods of access")),
    )
