"""Small building blocks every page shares: labelled fields, messages, empty states."""

from __future__ import annotations

import reflex as rx


def field(
    label: str,
    *,
    name: str,
    type: str = "text",
    autocomplete: str = "off",
    hint: str = "",
    **props,
) -> rx.Component:
    """A labelled input; the label is tied to the input so screen readers announce it."""
    field_id = props.pop("id", name)
    children = [
        rx.el.label(label, html_for=field_id, class_name="field-label"),
        rx.input(
            id=field_id,
            name=name,
            type=type,
            auto_complete=autocomplete,
            size="3",
            width="100%",
            **({"aria_describedby": f"{field_id}-hint"} if hint else {}),
            **props,
        ),
    ]
    if hint:
        children.append(rx.text(hint, id=f"{field_id}-hint", size="1", color_scheme="gray"))
    return rx.vstack(*children, spacing="1", width="100%", align="stretch")


def error_message(message: rx.Var) -> rx.Component:
    """A server-side refusal or validation message, announced as soon as it appears."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
    )


def notice_message(message: rx.Var) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="info", color_scheme="blue", role="status", width="100%"),
    )


def empty_state(title: str, text: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, as_="h2", size="4"),
        rx.text(text, color_scheme="gray"),
        padding="2em",
        align="center",
        width="100%",
        class_name="empty-state",
    )
