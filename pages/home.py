"""The firm home for staff and admins."""

from __future__ import annotations

import reflex as rx

from pages.layout import shell
from state.session import SessionState


def home_page() -> rx.Component:
    return shell(
        rx.heading("Firm home", as_="h1", size="6"),
        rx.text("Welcome, ", SessionState.user_name, "."),
    )
