"""A bookkeeper's own step, with everything needed to move it forward in one place."""

from __future__ import annotations

import reflex as rx

from pages.client import client_details
from pages.components import messages, section, status_badge
from pages.discussion import discussion
from pages.layout import shell
from pages.step_card import step_work
from state.task import TaskState as S


def task_page() -> rx.Component:
    return shell(
        rx.hstack(rx.link("My tasks", href="/tasks"), rx.text("/"), aria_label="Breadcrumb"),
        rx.heading(S.step.title, as_="h1", size="6"),
        rx.hstack(
            rx.link(S.filing.heading, href=S.filing.client_url),
            status_badge(S.step.status_label, S.step.status),
            rx.text(S.step.due_label, color_scheme="gray"),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        messages(S),
        rx.grid(
            rx.box(step_work(S.step, S, manage=False)),
            rx.vstack(
                rx.card(
                    rx.vstack(
                        rx.heading("Filing", as_="h2", size="3"),
                        rx.data_list.root(
                            rx.data_list.item(
                                rx.data_list.label("Kind"), rx.data_list.value(S.filing.kind)
                            ),
                            rx.data_list.item(
                                rx.data_list.label("Period"), rx.data_list.value(S.filing.period)
                            ),
                            rx.data_list.item(
                                rx.data_list.label("Due"), rx.data_list.value(S.filing.due_label)
                            ),
                            rx.data_list.item(
                                rx.data_list.label("Status"),
                                rx.data_list.value(S.filing.status_label),
                            ),
                        ),
                    ),
                    width="100%",
                ),
                rx.card(
                    rx.vstack(
                        rx.heading("Client", as_="h2", size="3"),
                        rx.link(S.client.name, href=S.filing.client_url, weight="bold"),
                        client_details(S.client),
                    ),
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="5",
            width="100%",
        ),
        section("Discussion on this filing", discussion(S)),
    )
