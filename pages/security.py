"""Sign-in security: the authenticator app (TOTP), its recovery codes, and passkeys."""

from __future__ import annotations

import reflex as rx

from pages.components import action_button, callout, field, messages, section, submit_form
from pages.layout import shell
from pages.passkeys import passkeys_section
from state.security import SecurityState as S


def _code_field(prefix: str, label: str) -> rx.Component:
    return rx.box(
        field(
            label,
            name="code",
            id=f"{prefix}-code",
            autocomplete="one-time-code",
            hint="The 6-digit code from your authenticator app, or a recovery code.",
        ),
        max_width="22em",
        width="100%",
    )


def _recovery_codes() -> rx.Component:
    return rx.cond(
        S.recovery_codes.length() > 0,
        callout(
            rx.vstack(
                rx.text.strong("Your recovery codes. They are shown only this once."),
                rx.text(
                    "If you lose your phone, each of these signs you in once instead of a "
                    "code. Print them or keep them in your password manager, now."
                ),
                rx.el.ul(
                    rx.foreach(
                        S.recovery_codes,
                        lambda code: rx.el.li(rx.code(code, size="3")),
                    ),
                    aria_label="Recovery codes",
                    style={"columns": "2", "list_style": "none", "padding": "0"},
                ),
                rx.hstack(
                    rx.button(
                        "I have saved them", size="2", variant="soft", on_click=S.dismiss_codes
                    ),
                    rx.cond(
                        S.must_enrol,
                        rx.fragment(),
                        rx.link("Continue to the portal", href=S.continue_href),
                    ),
                    spacing="4",
                    align="center",
                ),
                spacing="3",
            ),
            icon="key_round",
            color_scheme="green",
            role="status",
        ),
    )


def _enrolment() -> rx.Component:
    return rx.vstack(
        rx.text.strong("1. Add this portal to your authenticator app"),
        rx.text(
            "Scan the QR code with an app such as Google Authenticator, Microsoft "
            "Authenticator, 1Password or Authy."
        ),
        rx.box(rx.html(S.qr_svg), width="fit-content"),
        rx.text("Cannot scan it? Type this key into the app instead (time-based, 6 digits):"),
        rx.code(S.manual_key, size="4", id="manual-key", style={"user_select": "all"}),
        rx.text.strong("2. Type the code the app shows"),
        submit_form(
            rx.hstack(
                rx.box(
                    field(
                        "Code from the app",
                        name="code",
                        id="enrol-code",
                        autocomplete="one-time-code",
                        input_mode="numeric",
                        max_length=8,
                    ),
                    max_width="14em",
                ),
                rx.button("Turn on", type="submit"),
                action_button(
                    "Cancel",
                    S.cancel_enrolment(S.submit_token),
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                ),
                align="end",
                spacing="3",
                wrap="wrap",
            ),
            on_submit=S.confirm_enrolment,
            form_id="confirm-enrolment",
            aria_label="Confirm the authenticator app",
        ),
        spacing="3",
        align="start",
    )


def _code_form(*, prefix: str, title: str, text: str, label: str, button, on_submit):
    return rx.vstack(
        rx.heading(title, as_="h3", size="3"),
        rx.text(text),
        submit_form(
            rx.hstack(
                _code_field(prefix, label),
                button,
                align="start",
                spacing="3",
                wrap="wrap",
            ),
            on_submit=on_submit,
            form_id=f"{prefix}-form",
            aria_label=title,
        ),
        spacing="2",
        align="start",
        width="100%",
    )


def _when_on() -> rx.Component:
    return rx.vstack(
        rx.text(
            rx.badge("On", color_scheme="green"),
            " since ",
            S.status.enabled_on,
            ". Recovery codes left: ",
            rx.text.strong(S.status.recovery_left),
            ".",
        ),
        _code_form(
            prefix="regenerate",
            title="New recovery codes",
            text="Makes ten new codes; the ones you have now stop working.",
            label="Code for new recovery codes",
            button=rx.button(
                "Make new recovery codes", type="submit", variant="soft", margin_top="1.6em"
            ),
            on_submit=S.regenerate_codes,
        ),
        _code_form(
            prefix="disable",
            title="Turn off",
            text="Signing in will ask for your password only.",
            label="Code to turn it off",
            button=rx.button(
                "Turn off", type="submit", variant="soft", color_scheme="red", margin_top="1.6em"
            ),
            on_submit=S.disable,
        ),
        spacing="5",
        align="start",
        width="100%",
    )


def _authenticator() -> rx.Component:
    return section(
        "Authenticator app",
        rx.cond(
            S.status.totp_on,
            _when_on(),
            rx.cond(
                S.enrolling,
                _enrolment(),
                rx.vstack(
                    rx.text(
                        "Not set up. After your password, signing in will also ask for a "
                        "6-digit code from an app on your phone."
                    ),
                    action_button("Set up an authenticator app", S.start_enrolment(S.submit_token)),
                    spacing="3",
                    align="start",
                ),
            ),
        ),
    )


def security_page() -> rx.Component:
    return shell(
        rx.heading("Sign-in security", as_="h1", size="6"),
        rx.cond(
            S.must_enrol,
            callout(
                "Your firm requires a second factor for your role. Set one up to continue.",
                icon="shield_alert",
                color_scheme="amber",
                role="status",
            ),
        ),
        messages(S),
        _recovery_codes(),
        _authenticator(),
        passkeys_section(),
    )
