"""Managing logins, shared by the staff settings page and the bookkeepers page: create with
a typed or generated temporary password (shown once), deactivate, reactivate, reset."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal.services import second_factor, team
from state.page import PageMixin, clear_form


class LoginAdminMixin(PageMixin, mixin=True):
    # A generated password, shown once right after it was made, then forgotten. A repeat of
    # the same submission changes nothing here, so the password stays on screen.
    shown_password: str = ""
    shown_for: str = ""
    # The roles this page creates logins for.
    login_roles: ClassVar[tuple[str, ...]] = ()

    def _show_password(self, created: team.NewLogin, done: str) -> None:
        self.notice = done
        self.shown_password = created.generated_password
        self.shown_for = created.email

    @rx.event
    async def create_login(self, form: dict):
        role = str(form.get("role") or self.login_roles[0])
        if role not in self.login_roles:
            self.notice = ""
            self.error = "Choose a role from the list."
            return None
        done = await self._act_async(
            team.create_login,
            token=str(form.get("_token") or ""),
            name=form.get("name"),
            email=form.get("email"),
            role=role,
            password=form.get("password"),
        )
        if done is None:
            return None
        if not done.repeat:
            self._show_password(done.result, f"Login created for {done.result.email}.")
        return clear_form(form)

    @rx.event
    def set_active(self, token: str, user_id: int, active: bool):
        if (uid := self._id(user_id)) is not None:
            self._act(
                team.set_active,
                token=token,
                user_id=uid,
                active=bool(active),
                success="Login reactivated." if active else "Login deactivated; sessions ended.",
            )

    @rx.event
    async def reset_password(self, token: str, user_id: int):
        if (uid := self._id(user_id)) is None:
            return
        done = await self._act_async(team.reset_password, token=token, user_id=uid)
        if done is not None and not done.repeat:
            self._show_password(
                done.result,
                f"Password reset for {done.result.email}: their sessions ended, and they must "
                "choose a new password at next sign-in.",
            )

    @rx.event
    def reset_second_factor(self, token: str, user_id: int):
        """After the admin confirmed: every second factor of the person goes, and every
        session of theirs ends; they set one up again at their next sign-in."""
        if (uid := self._id(user_id)) is not None:
            self._act(
                second_factor.reset_for,
                token=token,
                user_id=uid,
                success="Second factor reset: their sessions ended, and they will set one up "
                "again when they next sign in (if the firm's policy asks for one).",
            )

    @rx.event
    def dismiss_password(self):
        self.shown_password = ""
        self.shown_for = ""
