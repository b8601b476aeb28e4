"""Sign in: the password, then (for a person with a second factor) the code."""

from __future__ import annotations

import reflex as rx

from pages.components import error_message, field, notice_message, submit_form
from pages.layout import bare
from pages.passkeys import passkey_sign_in
from portal import routes
from state.signin import SignInState as S


def _password_step() -> rx.Component:
    return submit_form(
        rx.vstack(
            field(
                "Email",
                name="email",
                type="email",
                autocomplete="username",
                default_value=S.typed_email,
            ),
            field(
                "Password",
                name="password",
                type="password",
                autocomplete="current-password",
            ),
            rx.button("Sign in", type="submit", size="3", width="100%", loading=S.busy),
            spacing="4",
            width="100%",
        ),
        on_submit=S.sign_in,
        form_id="sign-in",
        aria_label="Sign in",
    )


def _code_form() -> rx.Component:
    return rx.vstack(
        rx.cond(
            S.use_recovery,
            rx.text(
                "Type one of the recovery codes you saved when you set up your authenticator "
                "app. Each one works once."
            ),
            rx.text(
                "Open your authenticator app and type the 6-digit code it shows for "
                "Bookkeeper Portal."
            ),
        ),
        submit_form(
            rx.vstack(
                rx.cond(
                    S.use_recovery,
                    field(
                        "Recovery code",
                        name="code",
                        id="recovery-code",
                        autocomplete="off",
                        placeholder="abcd-efgh-jkmn",
                        spellcheck="false",
                        auto_capitalize="none",
                        auto_focus=True,
                    ),
                    field(
                        "Authentication code",
                        name="code",
                        id="one-time-code",
                        autocomplete="one-time-code",
                        input_mode="numeric",
                        pattern="[0-9 ]*",
                        max_length=8,
                        auto_focus=True,
                    ),
                ),
                rx.button("Verify", type="submit", size="3", width="100%", loading=S.busy),
                spacing="4",
                width="100%",
            ),
            on_submit=S.verify_code,
            form_id="second-factor",
            aria_label="Second factor",
        ),
        rx.hstack(
            rx.button(
                rx.cond(S.use_recovery, "Use the authenticator app", "Use a recovery code"),
                variant="ghost",
                type="button",
                on_click=S.toggle_recovery,
            ),
            rx.button("Start again", variant="ghost", type="button", on_click=S.start_again),
            justify="between",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def _passkey_answer() -> rx.Component:
    return rx.vstack(
        rx.cond(
            S.with_code,
            rx.text("Or use one of your passkeys:"),
            rx.text("Use your passkey (your device's fingerprint, face or PIN) to finish."),
        ),
        rx.button(
            rx.icon("key_round", aria_hidden="true"),
            "Use a passkey",
            type="button",
            size="3",
            variant=rx.cond(S.with_code, "outline", "solid"),
            width="100%",
            loading=S.busy,
            on_click=S.use_passkey,
        ),
        spacing="3",
        width="100%",
    )


def _code_step() -> rx.Component:
    return rx.vstack(
        rx.cond(S.with_code, _code_form()),
        rx.cond(S.with_passkey, _passkey_answer()),
        rx.cond(
            S.with_code,
            rx.fragment(),
            rx.button("Start again", variant="ghost", type="button", on_click=S.start_again),
        ),
        spacing="4",
        width="100%",
    )


def login_page() -> rx.Component:
    return bare(
        rx.heading("Bookkeeper Portal", as_="p", size="3", color_scheme="gray"),
        rx.card(
            rx.vstack(
                rx.cond(
                    S.step == "code",
                    rx.heading("Two-step verification", as_="h1", size="6"),
                    rx.heading("Sign in", as_="h1", size="6"),
                ),
                notice_message(S.notice),
                error_message(S.error),
                rx.cond(
                    S.step == "code",
                    _code_step(),
                    rx.fragment(
                        _password_step(),
                        rx.link("Forgot your password?", href=routes.FORGOT_PASSWORD),
                        passkey_sign_in(),
                    ),
                ),
                spacing="4",
                width="100%",
            ),
            size="3",
            width="100%",
        ),
    )
