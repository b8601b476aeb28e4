"""My Tasks for bookkeepers."""

from __future__ import annotations

import reflex as rx

from pages.layout import shell


def tasks_page() -> rx.Component:
    return shell(rx.heading("My tasks", as_="h1", size="6"))
