"""Builds the Reflex app: pages, the portal boundary middleware, and the HTTP routes."""

from __future__ import annotations

import reflex as rx

from pages.registry import NOT_FOUND, PAGES
from portal import routes
from portal.boundary import PortalBoundary
from portal.http import HttpGuard, routes_app
from state.session import SessionState

STYLE = {
    ".field-label": {"font_weight": "500", "font_size": "0.9em"},
    "a:focus-visible, button:focus-visible, input:focus-visible": {
        "outline": "2px solid var(--accent-9)",
        "outline_offset": "2px",
    },
}

app = rx.App(
    style=STYLE,
    api_transformer=[routes_app(), lambda asgi: HttpGuard(asgi, routes.match)],
)
app.add_middleware(PortalBoundary(page_root=SessionState))

for page in (*PAGES, NOT_FOUND):
    app.add_page(
        page.component,
        route=page.route,
        title=f"{page.title} · Bookkeeper Portal",
        on_load=[SessionState.enter_page, *page.on_load],
    )
