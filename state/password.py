"""Choosing a new password, including the one forced after an admin reset."""

from __future__ import annotations

import reflex as rx

from portal import access
from portal.auth import require_acting
from portal.services import accounts
from portal.services.errors import ServiceError
from state.session import SessionState, call_in_thread


class PasswordState(SessionState):
    error: str = ""
    done: bool = False

    @rx.event
    async def change_password(self, form_data: dict):
        self.error = ""
        try:
            await call_in_thread(
                accounts.change_own_password,
                current=str(form_data.get("current") or ""),
                new=str(form_data.get("new") or ""),
                confirm=str(form_data.get("confirm") or ""),
            )
        except ServiceError as exc:
            self.error = exc.message
            return
        actor = require_acting()
        self.done = True
        landing = access.LANDING[access.Role(actor.role)]
        return [rx.toast.success("Your password has been changed."), rx.redirect(landing)]
