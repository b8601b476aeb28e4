"""The page frames: the signed-in shell with navigation, and the bare frame for signing in."""

from __future__ import annotations

import reflex as rx

from pages.components import empty_state, unsent_texts
from portal import routes
from state.notifications import NotificationsState
from state.session import SessionState

SKIP_LINK_STYLE = {
    "position": "absolute",
    "left": "-9999px",
    "_focus": {"left": "1em", "top": "1em", "z_index": "10", "background": "white"},
}


def _skip_link() -> rx.Component:
    return rx.el.a("Skip to main content", href="#main", style=SKIP_LINK_STYLE)


def _nav() -> rx.Component:
    return rx.el.nav(
        rx.hstack(
            rx.foreach(
                SessionState.nav,
                lambda item: rx.link(item["label"], href=item["href"], weight="medium"),
            ),
            spacing="5",
            wrap="wrap",
        ),
        aria_label="Main",
    )


def _notification_line(line) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.cond(
                line.url != "",
                rx.link(line.text, href=line.url, weight=rx.cond(line.unread, "bold", "regular")),
                rx.text(line.text, size="2"),
            ),
            rx.cond(line.detail != "", rx.text(line.detail, size="1", color_scheme="gray")),
            rx.text(line.at_label, size="1", color_scheme="gray"),
            spacing="0",
        ),
        style={"padding": "0.4em 0", "border_bottom": "1px solid var(--gray-4)"},
    )


def _notifications() -> rx.Component:
    """The bell: the unread count in its spoken name, and the latest few when opened."""
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                rx.icon("bell", size=16, aria_hidden="true"),
                rx.cond(
                    SessionState.unread > 0,
                    rx.badge(SessionState.unread, color_scheme="red", variant="solid"),
                ),
                variant="ghost",
                size="1",
                aria_label=SessionState.notifications_label,
                id="notifications-button",
            ),
        ),
        rx.popover.content(
            rx.vstack(
                rx.heading("Notifications", as_="h2", size="3"),
                rx.cond(
                    NotificationsState.error != "",
                    rx.text(NotificationsState.error, role="alert", color_scheme="red", size="2"),
                ),
                rx.cond(
                    NotificationsState.lines.length() > 0,
                    rx.el.ul(
                        rx.foreach(NotificationsState.lines, _notification_line),
                        style={"list_style": "none", "padding": "0", "margin": "0"},
                    ),
                    rx.text("Nothing new.", size="2", color_scheme="gray"),
                ),
                rx.hstack(
                    rx.button(
                        "Mark all read",
                        on_click=NotificationsState.mark_all_read,
                        size="1",
                        variant="soft",
                        disabled=SessionState.unread == 0,
                    ),
                    rx.link("Notification settings", href=routes.ACCOUNT, size="2"),
                    align="center",
                    spacing="3",
                ),
                spacing="2",
                width="22em",
                max_width="90vw",
            ),
            aria_label="Notifications",
        ),
        # Opening loads the latest lines. (An on_click on the button would make Reflex wrap
        # it in a div that claims to be a button too: two nested controls to a screen reader.)
        on_open_change=NotificationsState.open_list,
    )


def _who() -> rx.Component:
    """The person's name, a link to their own account page when they have one."""
    return rx.cond(
        SessionState.account_href != "",
        rx.hstack(
            _notifications(),
            rx.link(
                SessionState.user_name,
                href=routes.ACCOUNT,
                size="2",
                title="Your account",
                aria_label="Your account: " + SessionState.user_name,
            ),
            align="center",
            spacing="3",
        ),
        rx.text(SessionState.user_name, size="2"),
    )


def _header() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.hstack(
                rx.text("Bookkeeper Portal", weight="bold", size="4"),
                rx.text(SessionState.firm_name, color_scheme="gray", size="2"),
                align="baseline",
                spacing="3",
            ),
            _nav(),
            rx.spacer(),
            rx.hstack(
                _who(),
                rx.badge(SessionState.role_label, variant="soft"),
                rx.button(
                    "Sign out",
                    on_click=SessionState.sign_out,
                    variant="outline",
                    size="1",
                ),
                align="center",
                spacing="3",
            ),
            align="center",
            spacing="6",
            padding_x="1.5em",
            padding_y="0.75em",
            width="100%",
            wrap="wrap",
        ),
        style={"border_bottom": "1px solid var(--gray-5)"},
    )


def _landing_link() -> rx.Component:
    """Back to the person's landing page (My Tasks, home), or to sign-in when signed out."""
    return rx.link(SessionState.landing_label, href=SessionState.landing_href, id="landing-link")


def not_found_panel() -> rx.Component:
    return rx.vstack(
        empty_state(
            "Not found",
            "There is nothing here, or it is not yours to open. Check the address, or go back.",
        ),
        _landing_link(),
        align="center",
        width="100%",
        spacing="2",
    )


def access_ended_panel() -> rx.Component:
    """Said plainly, with the reason when the page knows it, and anything the person had
    typed but not saved shown back to copy."""
    return rx.vstack(
        rx.vstack(
            rx.heading("Your access has ended", as_="h2", size="4"),
            rx.cond(SessionState.ended_reason != "", rx.text(SessionState.ended_reason)),
            rx.text(
                "This work is no longer yours to open, so its details have been cleared.",
                color_scheme="gray",
            ),
            _landing_link(),
            padding="2em",
            align="center",
            width="100%",
            class_name="empty-state",
            role="status",
        ),
        unsent_texts(SessionState),
        width="100%",
        spacing="4",
    )


def shell(*content: rx.Component) -> rx.Component:
    """The frame for every signed-in page. Missing and out-of-scope records render alike."""
    return rx.box(
        _skip_link(),
        # Signed out (the not-found page of a visitor): no header, nothing about any firm.
        rx.cond(SessionState.role_label != "", _header()),
        rx.el.main(
            rx.match(
                SessionState.page_status,
                ("not_found", not_found_panel()),
                ("access_ended", access_ended_panel()),
                rx.vstack(
                    unsent_texts(SessionState),
                    *content,
                    spacing="5",
                    width="100%",
                    align="stretch",
                ),
            ),
            id="main",
            tab_index=-1,
            style={"padding": "1.5em", "max_width": "1200px", "margin": "0 auto"},
        ),
        min_height="100vh",
    )


def bare(*content: rx.Component) -> rx.Component:
    """The frame for signed-out pages: no navigation, nothing about the firm."""
    return rx.box(
        rx.el.main(
            rx.center(
                rx.vstack(*content, spacing="5", width="100%", max_width="26em"),
                padding_top="12vh",
                padding_x="1em",
            ),
            id="main",
        ),
        min_height="100vh",
    )
