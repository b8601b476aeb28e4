"""Workload and time as charts, for staff and admins.

Each chart is drawn by recharts in the browser and described to a screen reader by its
summary (the drawing itself is one image with that label); its figures are also a real
table with a caption and headers under "Show as table", and a CSV download. The firm home
shows the first chart with a link here.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from pages.components import empty_state, messages, section
from pages.layout import shell
from portal import routes
from state.workload import WorkloadState as S

DUE_COLORS = {
    "overdue": rx.color("red", 9),
    "soon": rx.color("amber", 9),
    "later": rx.color("gray", 8),
}
STATUS_COLORS = {
    "open": rx.color("blue", 9),
    "in_review": rx.color("violet", 9),
    "filed": rx.color("green", 9),
    "cancelled": rx.color("gray", 8),
}
# The time charts' colours by series key: the top people or clients, then "Other" in grey.
SERIES_COLORS = rx.Var.create(
    {
        **{
            f"s{n}": f"var(--{tone}-9)"
            for n, tone in enumerate(
                ("blue", "orange", "teal", "crimson", "indigo", "grass", "purple", "brown")
            )
        },
        "other": "var(--gray-8)",
    }
)
CHART_HEIGHT = 320
_UNSORTED = rx.Var("null")


# Recharts colours each legend entry's text like its bars: light tones (amber, grey) would be
# text too faint to read, so the words are the page's text colour beside their coloured mark.
_FIGURE_STYLE = {"& .recharts-legend-item-text": {"color": "var(--gray-12) !important"}}


def _figure(summary, chart: rx.Component) -> rx.Component:
    """The drawing as one image, named by its summary. Recharts' own keyboard layer is off,
    so nothing inside the image takes focus."""
    return rx.box(chart, role="img", aria_label=summary, width="100%", style=_FIGURE_STYLE)


def _download(chart: str, what: str) -> rx.Component:
    return rx.el.a(
        "Download CSV",
        href=routes.workload_export(chart),
        reload_document=True,
        # A download, not a navigation: the page keeps its live connection.
        download=True,
        class_name="file-link",
        aria_label=f"Download {what} as CSV",
    )


def _as_table(table: rx.Component) -> rx.Component:
    return rx.el.details(rx.el.summary("Show as table", class_name="file-link"), table)


def _caption(text) -> rx.Component:
    return rx.el.caption(text, style={"text_align": "left", "padding_bottom": "0.5em"})


def _axes(category_key: str, *, vertical: bool = False) -> list[rx.Component]:
    if vertical:
        return [
            rx.recharts.x_axis(type_="number", allow_decimals=False),
            rx.recharts.y_axis(data_key=category_key, type_="category", width=150),
        ]
    return [rx.recharts.x_axis(data_key=category_key), rx.recharts.y_axis(allow_decimals=False)]


def _chart_extras() -> list[rx.Component]:
    return [
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        # Legend and tooltip list the series in the chart's order, not sorted by name.
        rx.recharts.graphing_tooltip(custom_attrs={"itemSorter": _UNSORTED}),
        rx.recharts.legend(custom_attrs={"itemSorter": _UNSORTED}),
    ]


# 1. Open steps per person, by due state.


def open_steps_chart(state) -> rx.Component:
    """`state` holds `people`, `people_height` and `people_summary` (empty when nothing is
    open): the Workload page's state, or the firm home's."""
    return rx.cond(
        state.people_summary != "",
        rx.vstack(
            _figure(
                state.people_summary,
                rx.recharts.bar_chart(
                    *_chart_extras(),
                    *_axes("name", vertical=True),
                    *[
                        rx.recharts.bar(
                            data_key=key,
                            name=label,
                            stack_id="due",
                            fill=DUE_COLORS[key],
                            is_animation_active=False,
                        )
                        for key, label in (
                            ("overdue", "Overdue"),
                            ("soon", "Due soon"),
                            ("later", "Later"),
                        )
                    ],
                    data=state.people.to(list[dict[str, Any]]),
                    layout="vertical",
                    height=state.people_height,
                    custom_attrs={"accessibilityLayer": False},
                ),
            ),
            _as_table(_people_table(state)),
            width="100%",
            align="stretch",
        ),
        empty_state("No open steps", "Nobody holds an open step on an active filing."),
    )


def _people_table(state) -> rx.Component:
    headers = ["Person", "Role", "Overdue", "Due soon", "Later", "Open steps"]
    return rx.table.root(
        _caption("Open steps per person on active filings, by due state"),
        rx.table.header(
            rx.table.row(*[rx.table.column_header_cell(h, scope="col") for h in headers])
        ),
        rx.table.body(
            rx.foreach(
                state.people,
                lambda p: rx.table.row(
                    rx.table.row_header_cell(p.name, scope="row"),
                    rx.table.cell(p.role_label),
                    rx.table.cell(p.overdue),
                    rx.table.cell(p.soon),
                    rx.table.cell(p.later),
                    rx.table.cell(p.total),
                ),
            )
        ),
        width="100%",
        aria_label="Open steps per person",
    )


def open_steps_section(state, *, on_home: bool = False) -> rx.Component:
    text = (
        "Open steps on active filings (open or in review), by who holds them: overdue, due "
        "in the next 7 days, and later (or with no due date)."
    )
    children = [rx.text(text, color_scheme="gray", size="2"), open_steps_chart(state)]
    if on_home:
        children.append(
            rx.link(
                "See the time logged and the filings due each month on the Workload page",
                href=routes.WORKLOAD,
            )
        )
    return section(
        "Open steps per person",
        *children,
        actions=_download("open-steps", "open steps per person"),
    )


# 2. Time per week, by person and by client.


def _time_chart(series, points, summary) -> rx.Component:
    return _figure(
        summary,
        rx.recharts.bar_chart(
            *_chart_extras(),
            *_axes("label"),
            rx.foreach(
                series,
                lambda s: rx.recharts.bar(
                    data_key=s.key,
                    name=s.name,
                    stack_id="time",
                    fill=SERIES_COLORS[s.key],
                    unit=" h",
                    is_animation_active=False,
                ),
            ),
            data=points,
            height=CHART_HEIGHT,
            custom_attrs={"accessibilityLayer": False},
        ),
    )


def _matrix_table(caption, corner: str, columns, rows, label: str) -> rx.Component:
    return rx.table.root(
        _caption(caption),
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(corner, scope="col"),
                rx.foreach(columns, lambda c: rx.table.column_header_cell(c, scope="col")),
            )
        ),
        rx.table.body(
            rx.foreach(
                rows,
                lambda r: rx.table.row(
                    rx.table.row_header_cell(r.label, scope="row"),
                    rx.foreach(r.cells, lambda c: rx.table.cell(c)),
                ),
            )
        ),
        width="100%",
        aria_label=label,
    )


def _time_section(by: str, title: str, note: str) -> rx.Component:
    series = getattr(S, f"{by}_series")
    points = getattr(S, f"{by}_points")
    summary = getattr(S, f"{by}_summary")
    return section(
        title,
        rx.text(note, color_scheme="gray", size="2"),
        rx.cond(
            summary != "",
            rx.vstack(
                _time_chart(series, points, summary),
                _as_table(
                    _matrix_table(
                        title + " (hours:minutes), weeks " + S.weeks,
                        "Week of",
                        getattr(S, f"{by}_columns"),
                        getattr(S, f"{by}_rows"),
                        title,
                    )
                ),
                width="100%",
                align="stretch",
            ),
            empty_state("No time logged", "Nobody has logged time in the last 12 weeks."),
        ),
        actions=_download(f"time-by-{by}", title.lower()),
    )


# 3. Filings due per month, by status.


def _filings_section() -> rx.Component:
    title = "Filings due per month"
    return section(
        title,
        rx.text(
            "Filings by the month they are due, from 11 months ago to 3 months ahead (",
            S.months,
            "), each in the status it has now. Filings with no due date are not counted.",
            color_scheme="gray",
            size="2",
        ),
        rx.cond(
            S.filing_total > 0,
            rx.vstack(
                _figure(
                    S.filing_summary,
                    rx.recharts.bar_chart(
                        *_chart_extras(),
                        *_axes("label"),
                        *[
                            rx.recharts.bar(
                                data_key=key,
                                name=label,
                                stack_id="status",
                                fill=color,
                                is_animation_active=False,
                            )
                            for key, label, color in (
                                ("open", "Open", STATUS_COLORS["open"]),
                                ("in_review", "In review", STATUS_COLORS["in_review"]),
                                ("filed", "Filed", STATUS_COLORS["filed"]),
                                ("cancelled", "Cancelled", STATUS_COLORS["cancelled"]),
                            )
                        ],
                        data=S.filing_points,
                        height=CHART_HEIGHT,
                        custom_attrs={"accessibilityLayer": False},
                    ),
                ),
                _as_table(
                    _matrix_table(
                        "Filings due per month by status, " + S.months,
                        "Month",
                        ["Open", "In review", "Filed", "Cancelled", "Total"],
                        S.filing_rows,
                        title,
                    )
                ),
                width="100%",
                align="stretch",
            ),
            empty_state("No filings due", "No filing falls due in these months."),
        ),
        actions=_download("filings-by-month", "filings due per month"),
    )


def workload_page() -> rx.Component:
    return shell(
        rx.heading("Workload", as_="h1", size="6"),
        messages(S),
        rx.text(
            "Who holds how much work, where the time goes, and what falls due. Dates are the "
            "firm's (today is ",
            S.today,
            "); weeks start on Monday. Each chart's figures are under “Show as table”, and "
            "its CSV lists every person or client, not only the ones the chart names.",
            color_scheme="gray",
        ),
        open_steps_section(S),
        _time_section(
            "person",
            "Time logged per person",
            "Hours logged each week over the last 12 weeks, by who logged them; the eight "
            "people with the most time by name, everyone else as “Other”.",
        ),
        _time_section(
            "client",
            "Time logged per client",
            "Hours logged each week over the last 12 weeks, by client; the eight clients with "
            "the most time by name, the rest as “Other”.",
        ),
        _filings_section(),
    )
