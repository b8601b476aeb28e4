"""Builds the Reflex app: pages, the portal boundary middleware, and the HTTP routes."""

from __future__ import annotations

import reflex as rx
from reflex.state import FrontendEventExceptionState

from pages.browser import channel
from pages.registry import NOT_FOUND, PAGES
from portal import crypto, routes, upkeep
from portal.boundary import PortalBoundary
from portal.http import HttpGuard, routes_app
from state.calls import on_unexpected
from state.live import LivePages
from state.session import SessionState

STYLE = {
    ".field-label": {"font_weight": "500", "font_size": "0.9em"},
    ".native-select": {
        "padding": "0.4em 0.5em",
        "border": "1px solid var(--gray-7)",
        "border_radius": "var(--radius-2)",
        "background": "var(--color-background)",
        "font_size": "0.95em",
        "min_width": "12em",
    },
    ".page-section": {
        "display": "flex",
        "flex_direction": "column",
        "gap": "0.75em",
        "padding": "1em 0",
        "border_top": "1px solid var(--gray-4)",
    },
    ".file-link": {"color": "var(--accent-11)", "text_decoration": "underline"},
    ".sr-only": {
        "position": "absolute",
        "width": "1px",
        "height": "1px",
        "overflow": "hidden",
        "clip": "rect(0 0 0 0)",
        "white_space": "nowrap",
    },
    # WCAG 1.4.3 (4.5:1 for text): Radix's step-9 solid colours under white text and its
    # step-11 text on soft tints fall short for several colours (axe measures 3.1 to 4.3),
    # so solid controls take the darker step 11 and soft, outline and ghost text step 12.
    ".rt-BaseButton.rt-variant-solid:not(:disabled), .rt-Badge.rt-variant-solid": {
        "background_color": "var(--accent-11)",
        "color": "white",
    },
    ".rt-BaseButton.rt-variant-solid:not(:disabled):hover": {
        "background_color": "var(--accent-12)",
    },
    (
        ".rt-Badge.rt-variant-soft, .rt-Badge.rt-variant-outline, .rt-Badge.rt-variant-surface, "
        ".rt-BaseButton.rt-variant-soft:not(:disabled), "
        ".rt-BaseButton.rt-variant-outline:not(:disabled), "
        ".rt-BaseButton.rt-variant-surface:not(:disabled), "
        ".rt-BaseButton.rt-variant-ghost:not(:disabled), .rt-CalloutRoot, .rt-CalloutText, "
        ".rt-Code.rt-variant-soft"
    ): {"color": "var(--accent-12)"},
    # pages/components.table_region: the region scrolls, not Radix's unfocusable box inside.
    ".table-region": {"overflow_x": "auto", "max_width": "100%"},
    ".table-region .rt-ScrollAreaViewport": {"overflow": "visible !important"},
    "details.step > summary": {"cursor": "pointer", "list_style": "none"},
    "details.step[open] > summary": {"margin_bottom": "0.75em"},
    "a:focus-visible, button:focus-visible, input:focus-visible": {
        "outline": "2px solid var(--accent-9)",
        "outline_offset": "2px",
    },
    # A control whose submission is under way (assets/submit_once.js).
    "button[data-busy]": {"cursor": "progress", "opacity": "0.7"},
    "button[data-busy]::after": {
        "content": '""',
        "display": "inline-block",
        "width": "0.8em",
        "height": "0.8em",
        "margin_left": "0.5em",
        "border": "2px solid currentColor",
        "border_right_color": "transparent",
        "border_radius": "50%",
        "animation": "portal-spin 0.8s linear infinite",
    },
    "@keyframes portal-spin": {"to": {"transform": "rotate(360deg)"}},
    ".your-entry-box": {
        "border_left": "3px solid var(--amber-8)",
        "padding": "0.25em 0.5em",
        "margin_top": "0.25em",
        "background": "var(--amber-2)",
    },
    ".your-entry": {"user_select": "all"},
}

# A malformed PORTAL_SECRET_KEY stops the app here, saying how to make one, rather than at
# the first sign-in with an authenticator app.
crypto.check_configuration()

app = rx.App(
    style=STYLE,
    # A plain script tag, in the page as served: it runs before the page can be clicked.
    # (rx.script goes through Helmet, which adds it only after the app has rendered, so
    # the first clicks on a fresh page, a double-click on "Sign in" among them, would
    # escape it.)
    head_components=[
        rx.el.script(src="/submit_once.js"),
        # The actions the server may ask of the browser, by name (portal/browser.py).
        rx.el.script(src="/portal.js"),
        # The browser side of passkeys (WebAuthn), which portal.js's passkey actions call.
        rx.el.script(src="/passkeys.js"),
    ],
    api_transformer=[routes_app(), lambda asgi: HttpGuard(asgi, routes.match)],
    backend_exception_handler=on_unexpected,
)
app.add_middleware(PortalBoundary(page_root=SessionState))
live_pages = LivePages(
    app,
    page_root=SessionState,
    keep_typed="_keep_typed",
    page_states={page.route: page.on_load[0].state for page in PAGES if page.on_load},
)
app.register_lifespan_task(live_pages.run)
app.register_lifespan_task(upkeep.keep_statistics_current)
app.register_lifespan_task(upkeep.keep_refusal_counts)
app.register_lifespan_task(upkeep.keep_mail_moving)

# Reflex reloads a page after some browser errors by sending it a script, which it would
# run with eval(): the Content-Security-Policy forbids that (portal/csp.py), so it is off.
FrontendEventExceptionState.auto_reload_on_errors = []


def _with_channel(component):
    """Every page carries the hidden elements the server asks the browser through."""
    return lambda: rx.fragment(component(), channel())


for page in (*PAGES, NOT_FOUND):
    app.add_page(
        _with_channel(page.component),
        route=page.route,
        title=f"{page.title} · Bookkeeper Portal",
        on_load=[SessionState.enter_page, *page.on_load],
    )

upkeep.tune_garbage_collection()
