"""Sign in."""

from __future__ import annotations

import reflex as rx

from pages.components import error_message, field, notice_message, submit_form
from pages.layout import bare
from pages.passkeys import passkey_sign_in
from state.signin import SignInState


def login_page() -> rx.Component:
    return bare(
        rx.heading("Bookkeeper Portal", as_="p", size="3", color_scheme="gray"),
        rx.card(
            rx.vstack(
                rx.heading("Sign in", as_="h1", size="6"),
                notice_message(SignInState.notice),
                error_message(SignInState.error),
                submit_form(
                    rx.vstack(
                        field("Email", name="email", type="email", autocomplete="username"),
                        field(
                            "Password",
                            name="password",
                            type="password",
                            autocomplete="current-password",
                        ),
                        rx.button(
                            "Sign in",
                            type="submit",
                            size="3",
                            width="100%",
                            loading=SignInState.busy,
                        ),
                        spacing="4",
                        width="100%",
                    ),
                    on_submit=SignInState.sign_in,
                    form_id="sign-in",
                    aria_label="Sign in",
                ),
                passkey_sign_in(),
                spacing="4",
                width="100%",
            ),
            size="3",
            width="100%",
        ),
    )
