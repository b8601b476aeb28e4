"""The hidden elements every page carries for assets/portal.js (see state/browser.py): the
input the server asks through, the form the browser answers through, and the button that
hands the compiled page's toaster to the script."""

from __future__ import annotations

import reflex as rx
from reflex_base.vars.base import Var
from reflex_components_sonner.toast import toast_ref

from portal import browser
from state.session import SessionState

# The toast button's click: compiled into the page's own code (no eval), it gives the toaster
# the page holds to assets/portal.js, which shows the toasts the server asked for.
_SHOW_TOASTS = Var(
    _js_expr=f"window.portalBrowser?.showToast({toast_ref})",
    _var_data=toast_ref._get_all_var_data(),
)


def pressable(button_id: str, on_click) -> rx.Component:
    """A hidden button the server can have pressed (portal.browser.press): its click runs
    `on_click` as compiled into the page, so a browser-only Reflex helper runs without eval."""
    return rx.el.button(
        id=button_id,
        type="button",
        on_click=on_click,
        hidden=True,
        tab_index=-1,
        aria_hidden="true",
        custom_attrs={"data-portal-press": ""},
    )


def channel() -> rx.Component:
    return rx.fragment(
        rx.el.input(type="hidden", id=browser.ASK_INPUT),
        rx.el.form(
            rx.el.input(type="hidden", name="name"),
            rx.el.input(type="hidden", name="value"),
            id=browser.ANSWER_FORM,
            on_submit=SessionState.answer,
            reset_on_submit=True,
            hidden=True,
            aria_hidden="true",
        ),
        rx.el.button(
            id=browser.TOAST_BUTTON,
            type="button",
            on_click=rx.run_script(_SHOW_TOASTS),
            hidden=True,
            tab_index=-1,
            aria_hidden="true",
        ),
    )
