"""The signed-out pages reached from emailed links, and the request for a reset link."""

from __future__ import annotations

import reflex as rx

from pages.components import callout, error_message, field, notice_message, submit_form
from pages.layout import bare
from portal import routes
from portal.auth import PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS
from state.links import ForgotPasswordState, InvitationState, ResetPasswordState

PASSWORD_HINT = (
    f"At least {PASSWORD_MIN_CHARS} characters and at most {PASSWORD_MAX_BYTES} bytes, hard to "
    "guess, and without your name, email address or firm's name. A few unrelated words work well."
)


def _brand() -> rx.Component:
    return rx.heading("Bookkeeper Portal", as_="p", size="3", color_scheme="gray")


def _to_sign_in() -> rx.Component:
    return rx.link("Back to sign in", href=routes.LOGIN)


def _password_form(state, *, on_submit, button: str, form_id: str) -> rx.Component:
    return submit_form(
        rx.vstack(
            field(
                "New password",
                name="password",
                type="password",
                autocomplete="new-password",
                id=f"{form_id}-password",
                hint=PASSWORD_HINT,
            ),
            field(
                "Repeat the new password",
                name="confirm",
                type="password",
                autocomplete="new-password",
                id=f"{form_id}-confirm",
            ),
            rx.button(button, type="submit", size="3", width="100%", loading=state.busy),
            spacing="4",
            width="100%",
        ),
        on_submit=on_submit,
        form_id=form_id,
        aria_label=button,
    )


def _dead_link(state) -> rx.Component:
    return rx.vstack(
        callout(state.problem, icon="triangle_alert", color_scheme="red", role="alert"),
        _to_sign_in(),
        spacing="4",
        width="100%",
    )


def _done(state) -> rx.Component:
    return rx.vstack(
        callout(state.problem, icon="circle_check", color_scheme="green", role="status"),
        rx.link("Sign in", href=routes.LOGIN),
        spacing="4",
        width="100%",
    )


def _loading() -> rx.Component:
    return rx.text("Checking the link…", role="status")


def _link_page(s, *, heading: str, intro: rx.Component, on_submit, button: str, form_id: str):
    """A page an emailed link opens: what the link is for, then a new password; or why the
    link no longer works; or what happened once it was used."""
    return bare(
        _brand(),
        rx.card(
            rx.vstack(
                rx.heading(heading, as_="h1", size="6"),
                rx.match(
                    s.link_status,
                    (
                        "ok",
                        rx.vstack(
                            intro,
                            error_message(s.error),
                            _password_form(s, on_submit=on_submit, button=button, form_id=form_id),
                            spacing="4",
                            width="100%",
                        ),
                    ),
                    ("dead", _dead_link(s)),
                    ("done", _done(s)),
                    _loading(),
                ),
                spacing="4",
                width="100%",
            ),
            size="3",
            width="100%",
        ),
    )


def invitation_page() -> rx.Component:
    s = InvitationState
    return _link_page(
        s,
        heading="Accept your invitation",
        intro=rx.fragment(
            rx.text(
                rx.cond(s.view.inviter != "", s.view.inviter, "Your firm's admin"),
                " invited you to ",
                rx.text.strong(s.view.firm_name),
                " as ",
                s.view.role_label.lower(),
                ".",
            ),
            rx.text(
                "Your login: ",
                rx.text.strong(s.view.email),
                ". Choose your password to sign in. This link works once, until ",
                s.view.expires,
                ".",
                size="2",
            ),
        ),
        on_submit=s.accept,
        button="Set password and sign in",
        form_id="accept-invitation",
    )


def reset_password_page() -> rx.Component:
    s = ResetPasswordState
    return _link_page(
        s,
        heading="Choose a new password",
        intro=rx.text(
            "For ",
            rx.text.strong(s.view.email),
            " at ",
            s.view.firm_name,
            ". Setting it signs you out everywhere else and signs you in "
            "here. This link works once, until ",
            s.view.expires,
            ".",
            size="2",
        ),
        on_submit=s.set_new_password,
        button="Set new password",
        form_id="reset-password",
    )


def forgot_password_page() -> rx.Component:
    s = ForgotPasswordState
    return bare(
        _brand(),
        rx.card(
            rx.vstack(
                rx.heading("Forgot your password?", as_="h1", size="6"),
                rx.text(
                    "Enter the email address you sign in with. We will email you a link to "
                    "choose a new password; it works once, within 30 minutes.",
                    size="2",
                ),
                notice_message(s.notice),
                error_message(s.error),
                submit_form(
                    rx.vstack(
                        field("Email", name="email", type="email", autocomplete="username"),
                        rx.button(
                            "Email me a link", type="submit", size="3", width="100%", loading=s.busy
                        ),
                        spacing="4",
                        width="100%",
                    ),
                    on_submit=s.request_link,
                    form_id="forgot-password",
                    aria_label="Forgot your password?",
                ),
                _to_sign_in(),
                spacing="4",
                width="100%",
            ),
            size="3",
            width="100%",
        ),
    )
