"""The 404 page: the same words as a record that is missing or out of scope."""

from __future__ import annotations

import reflex as rx

from pages.layout import not_found_panel, shell


def not_found_page() -> rx.Component:
    return shell(not_found_panel())
