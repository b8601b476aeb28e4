"""Managing logins, shared by the staff settings page and the bookkeepers page: create with
a typed or generated temporary password (shown once), deactivate, reactivate, reset."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal.services import login_sessions, team
from state.page import PageMixin, clear_form


class LoginAdminMixin(PageMixin, mixin=True):
    # A generated password, shown once right after it was made, then forgotten. A repeat of
    # the same submission changes nothing here, so the password stays on screen.
    shown_password: str = ""
    shown_for: str = ""
    # The person whose sessions an admin is about to end: the button asks once more.
    confirm_end_sessions: int = 0
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
    def dismiss_password(self):
        self.shown_password = ""
        self.shown_for = ""

    @rx.event
    def ask_end_sessions(self, user_id: int):
        if (uid := self._id(user_id)) is not None:
            self.confirm_end_sessions = uid

    @rx.event
    def keep_sessions(self):
        self.confirm_end_sessions = 0

    @rx.event
    def end_sessions(self, token: str, user_id: int):
        """End every session of a person of the firm; their open tabs go to sign-in."""
        if (uid := self._id(user_id)) is None:
            return
        done = self._act(login_sessions.end_all_of_person, token=token, user_id=uid)
        self.confirm_end_sessions = 0
        if done is not None and not done.repeat:
            ended = done.result
            self.notice = (
                "No session was open; nothing to end."
                if ended == 0
                else f"{ended} session{'s' if ended != 1 else ''} ended: they must sign in again."
            )
