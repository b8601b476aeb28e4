"""Passkeys: the section of the person's sign-in security page, and the sign-in button."""

from __future__ import annotations

import reflex as rx

from pages.components import (
    action_button,
    error_message,
    field,
    messages,
    section,
    submit_form,
)
from portal.services.passkeys import NAME_MAX
from state.passkeys import ADD_FORM, PasskeyRow, PasskeySignInState
from state.passkeys import PasskeysState as S


def _rename_form(key: PasskeyRow) -> rx.Component:
    return submit_form(
        rx.el.input(type="hidden", name="passkey_id", value=key.id.to_string()),
        rx.hstack(
            rx.el.label("New name", html_for="passkey-rename", class_name="sr-only"),
            rx.input(
                id="passkey-rename",
                name="name",
                default_value=key.name,
                max_length=NAME_MAX,
                size="2",
                auto_complete="off",
                aria_label="New name for " + key.name,
            ),
            rx.button("Save name", type="submit", size="1"),
            rx.button("Cancel", type="button", size="1", variant="soft", on_click=S.cancel_rename),
            spacing="2",
            align="center",
        ),
        on_submit=S.rename,
        form_id="rename-passkey",
        aria_label="Rename passkey " + key.name,
    )


def _remove_controls(key: PasskeyRow) -> rx.Component:
    """Removing takes a second click: "Remove" first, then "Remove passkey" or "Keep"."""
    return rx.cond(
        S.confirm_remove == key.id,
        rx.hstack(
            rx.text("Remove ", rx.text.strong(key.name), "?", size="2"),
            action_button(
                "Remove passkey",
                S.remove(S.submit_token, key.id),
                size="1",
                color_scheme="red",
                aria_label="Remove passkey " + key.name,
            ),
            rx.button("Keep", size="1", variant="soft", on_click=S.keep),
            spacing="2",
            align="center",
        ),
        rx.hstack(
            rx.button(
                "Rename",
                size="1",
                variant="ghost",
                on_click=S.start_rename(key.id),
                aria_label="Rename " + key.name,
            ),
            rx.button(
                "Remove",
                size="1",
                variant="ghost",
                color_scheme="red",
                on_click=S.ask_remove(key.id),
                aria_label="Remove " + key.name,
            ),
            spacing="2",
        ),
    )


def _passkey(key: PasskeyRow) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.cond(
                S.renaming == key.id,
                _rename_form(key),
                rx.text(key.name, weight="medium"),
            ),
            rx.text(
                "Added " + key.added + " · Last used: " + key.last_used,
                size="1",
                color_scheme="gray",
            ),
            _remove_controls(key),
            spacing="1",
        ),
        class_name="passkey",
        padding_y="0.5em",
    )


def passkeys_section() -> rx.Component:
    """The person's passkeys: one list, a form to add one, rename and remove each."""
    return section(
        "Passkeys",
        rx.text(
            "A passkey signs you in with your device's fingerprint, face or PIN, without a "
            "password. It cannot be phished, and it counts as a second factor."
        ),
        messages(S),
        rx.cond(
            S.keys.length() > 0,
            rx.el.ul(
                rx.foreach(S.keys, _passkey),
                aria_label="Your passkeys",
                style={"list_style": "none", "padding": 0, "margin": 0},
            ),
            rx.text("You have no passkeys yet.", color_scheme="gray"),
        ),
        submit_form(
            rx.vstack(
                field(
                    "Name for a new passkey",
                    name="name",
                    id="passkey-name",
                    max_length=NAME_MAX,
                    hint="Say which device or key it is, such as “Work laptop”.",
                ),
                rx.button("Add a passkey", type="submit", loading=S.registering),
                spacing="3",
                width="100%",
            ),
            on_submit=S.start_registration,
            form_id=ADD_FORM,
            aria_label="Add a passkey",
        ),
    )


def passkey_sign_in() -> rx.Component:
    """The sign-in page's passwordless way in."""
    return rx.vstack(
        rx.separator(size="4"),
        error_message(PasskeySignInState.error),
        rx.button(
            rx.icon("key_round", aria_hidden="true"),
            "Sign in with a passkey",
            type="button",
            size="3",
            variant="outline",
            width="100%",
            loading=PasskeySignInState.busy,
            on_click=PasskeySignInState.start_sign_in,
        ),
        spacing="4",
        width="100%",
    )
