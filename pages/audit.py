"""The audit log: refusals, sign-ins and every change that grants or ends access."""

from __future__ import annotations

import reflex as rx

from pages.components import empty_state, messages, native_select, pager
from pages.layout import shell
from portal import routes
from state.audit import AuditState as S


def _filter(label: str, control_id: str, options, value, on_change, empty: str):
    return rx.vstack(
        rx.el.label(label, html_for=control_id, class_name="field-label"),
        native_select(
            options,
            id=control_id,
            value_of=lambda o: o.id.to_string(),
            label_of=lambda o: o.label,
            empty=empty,
            value=value,
            on_change=on_change,
        ),
        spacing="1",
    )


def audit_page() -> rx.Component:
    return shell(
        rx.hstack(
            rx.heading("Audit log", as_="h1", size="6"),
            rx.spacer(),
            rx.link(
                "Access review: who can open which client, and who could",
                href=routes.ACCESS_REVIEW,
            ),
            align="center",
            width="100%",
            wrap="wrap",
        ),
        messages(S),
        rx.hstack(
            _filter(
                "Person", "audit-person", S.people, S.person_filter, S.filter_person, "Everyone"
            ),
            _filter(
                "Client", "audit-client", S.clients, S.client_filter, S.filter_client, "All clients"
            ),
            spacing="4",
            wrap="wrap",
            role="search",
            aria_label="Filter the audit log",
        ),
        rx.cond(
            S.rows.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in (
                                "When",
                                "Who",
                                "What",
                                "Outcome",
                                "Record",
                                "Client",
                                "Detail",
                                "Address",
                            )
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        S.rows,
                        lambda r: rx.table.row(
                            rx.table.cell(r.at_label),
                            rx.table.cell(r.who),
                            rx.table.cell(r.action),
                            rx.table.cell(
                                rx.cond(
                                    r.outcome == "refused",
                                    # Repeats folded into one row show their count.
                                    rx.badge(r.outcome_label, color_scheme="red"),
                                    rx.badge(r.outcome_label, color_scheme="green"),
                                )
                            ),
                            rx.table.cell(r.target),
                            rx.table.cell(r.client_name),
                            rx.table.cell(r.detail),
                            rx.table.cell(r.ip),
                        ),
                    )
                ),
                width="100%",
                size="1",
            ),
            empty_state("Nothing recorded", "No event matches these filters."),
        ),
        pager(S, "events", back="Newer", forward="Older"),
    )
