"""Choosing a new password, including the one forced after an admin reset."""

from __future__ import annotations

import reflex as rx

from portal import access, browser
from portal.auth import require_acting
from portal.services import accounts
from state.page import PageMixin
from state.session import SessionState


class PasswordState(PageMixin, SessionState):
    done: bool = False

    @rx.event
    async def change_password(self, form_data: dict):
        """A refusal keeps what was typed; a repeat of a change already made does nothing."""
        done = await self._act_async(
            accounts.change_own_password,
            token=str(form_data.get("_token") or ""),
            current=str(form_data.get("current") or ""),
            new=str(form_data.get("new") or ""),
            confirm=str(form_data.get("confirm") or ""),
        )
        if done is None:
            return None
        landing = access.LANDING[access.Role(require_acting().role)]
        if done.repeat:
            return rx.redirect(landing)
        self.done = True
        return [
            browser.toast("Your password has been changed.", level="success"),
            rx.redirect(landing),
        ]
