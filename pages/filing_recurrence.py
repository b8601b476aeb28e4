"""The filing page's "Repeats" picker, what happens next, and the filing's series."""

from __future__ import annotations

import reflex as rx

from pages.components import native_select
from state.filing import FilingState as S


def recurrence_panel() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.el.label("Repeats", html_for="filing-repeats", class_name="field-label"),
            native_select(
                S.repeat_choices,
                id="filing-repeats",
                value_of=lambda c: c[0],
                label_of=lambda c: c[1],
                value=S.repeats.recurrence,
                on_change=lambda choice: S.set_recurrence(S.repeats.recurrence, choice),
                aria_describedby="filing-repeats-plan",
            ),
            rx.cond(
                S.repeats.template_name != "",
                rx.text("From template ", rx.text.strong(S.repeats.template_name), size="2"),
            ),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.text(S.repeats.plan, id="filing-repeats-plan", size="2", color_scheme="gray"),
        rx.cond(
            S.repeats.previous_filing_id > 0,
            rx.text(
                "Follows ",
                rx.link(S.repeats.previous_filing_title, href=S.repeats.previous_filing_url),
                size="2",
            ),
        ),
        rx.cond(
            S.repeats.next_filing_id > 0,
            rx.text(
                "Next filing: ",
                rx.link(S.repeats.next_filing_title, href=S.repeats.next_filing_url),
                size="2",
            ),
        ),
        spacing="1",
        align="start",
    )
