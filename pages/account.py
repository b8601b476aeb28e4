"""A person's own account page: which emails they get, their sessions, and the way to a new
password."""

from __future__ import annotations

import reflex as rx

from pages.components import messages, section, submit_form
from pages.layout import shell
from pages.login_sessions import sessions_section
from portal import routes
from state.account import ASSIGNMENTS_LABEL, DIGEST_LABEL
from state.account import AccountState as S


def account_page() -> rx.Component:
    return shell(
        rx.heading("Your account", as_="h1", size="6"),
        rx.text(S.user_name, " · ", S.role_label, color_scheme="gray"),
        messages(S),
        section(
            "Notifications",
            rx.text(
                "New work always shows under the bell at the top of every page. "
                "Choose which emails you also get."
            ),
            submit_form(
                rx.vstack(
                    rx.checkbox(
                        ASSIGNMENTS_LABEL,
                        name="assignments",
                        default_checked=S.choices.assignments,
                        key=S.choices.assignments.to_string(),
                    ),
                    rx.checkbox(
                        DIGEST_LABEL,
                        name="digest",
                        default_checked=S.choices.digest,
                        key=S.choices.digest.to_string(),
                    ),
                    rx.button("Save notification settings", type="submit"),
                    spacing="3",
                ),
                on_submit=S.save_notifications,
                form_id="notifications",
                aria_label="Notification settings",
            ),
        ),
        sessions_section(),
        section(
            "Password",
            rx.link("Choose a new password", href=routes.CHANGE_PASSWORD),
        ),
        section(
            "Sign-in security",
            rx.text("A second factor keeps your account safe even if your password leaks."),
            rx.link("Authenticator app, recovery codes and passkeys", href=routes.SECURITY),
        ),
    )
