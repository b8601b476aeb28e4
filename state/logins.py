"""Managing logins, shared by the staff settings page and the bookkeepers page: create with
a typed or generated temporary password (shown once), deactivate, reactivate, reset."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal.services import team
from portal.services.errors import ServiceError
from state.page import PageMixin
from state.session import call_in_thread


class LoginAdminMixin(PageMixin, mixin=True):
    # A generated password, shown once right after it was made, then forgotten.
    shown_password: str = ""
    shown_for: str = ""
    # The roles this page creates logins for.
    login_roles: ClassVar[tuple[str, ...]] = ()

    def _show_password(self, created: team.NewLogin, done: str) -> None:
        self._refresh()
        self.notice = done
        self.shown_password = created.generated_password
        self.shown_for = created.email

    @rx.event
    async def create_login(self, form: dict):
        self.error = ""
        self.notice = ""
        self.shown_password = ""
        role = str(form.get("role") or self.login_roles[0])
        if role not in self.login_roles:
            self.error = "Choose a role from the list."
            return
        try:
            created = await call_in_thread(
                team.create_login,
                name=form.get("name"),
                email=form.get("email"),
                role=role,
                password=form.get("password"),
            )
        except ServiceError as exc:
            self.error = exc.message
            return
        self._show_password(created, f"Login created for {created.email}.")

    @rx.event
    def set_active(self, user_id: int, active: bool):
        if (uid := self._id(user_id)) is not None:
            self._act(
                team.set_active,
                user_id=uid,
                active=bool(active),
                success="Login reactivated." if active else "Login deactivated; sessions ended.",
            )

    @rx.event
    async def reset_password(self, user_id: int):
        self.error = ""
        self.notice = ""
        if (uid := self._id(user_id)) is None:
            return
        try:
            created = await call_in_thread(team.reset_password, user_id=uid)
        except ServiceError as exc:
            self.error = exc.message
            return
        self._show_password(
            created,
            f"Password reset for {created.email}: their sessions ended, and they must choose "
            "a new password at next sign-in.",
        )

    @rx.event
    def dismiss_password(self):
        self.shown_password = ""
        self.shown_for = ""
