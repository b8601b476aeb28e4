"""Choose a new password."""

from __future__ import annotations

import reflex as rx

from pages.components import error_message, field, submit_form
from pages.layout import shell
from portal.auth import PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS
from state.password import PasswordState


def password_page() -> rx.Component:
    return shell(
        rx.heading("Choose a new password", as_="h1", size="6"),
        rx.text(
            "Choose a new password to continue. If an admin reset your password, use the "
            "temporary one as your current password."
        ),
        rx.box(
            error_message(PasswordState.error),
            submit_form(
                rx.vstack(
                    field(
                        "Current password",
                        name="current",
                        type="password",
                        autocomplete="current-password",
                    ),
                    field(
                        "New password",
                        name="new",
                        type="password",
                        autocomplete="new-password",
                        hint=f"At least {PASSWORD_MIN_CHARS} characters and at most "
                        f"{PASSWORD_MAX_BYTES} bytes.",
                    ),
                    field(
                        "Repeat the new password",
                        name="confirm",
                        type="password",
                        autocomplete="new-password",
                    ),
                    rx.button("Change password", type="submit", size="3"),
                    spacing="4",
                    align="start",
                    width="100%",
                ),
                on_submit=PasswordState.change_password,
                form_id="change-password",
                aria_label="Change password",
            ),
            max_width="28em",
        ),
    )
