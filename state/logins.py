"""Managing logins, shared by the staff settings page and the bookkeepers page: invite by
email, resend or revoke an invitation, deactivate, reactivate, and email a reset link.

Nobody on these pages ever types or sees a password: the person chooses their own from the
emailed link (portal/services/links.py).
"""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal.services import login_sessions, second_factor, team
from state.page import PageMixin, clear_form


class LoginAdminMixin(PageMixin, mixin=True):
    # The person whose sessions an admin is about to end: the button asks once more.
    confirm_end_sessions: int = 0
    # The roles this page creates logins for.
    login_roles: ClassVar[tuple[str, ...]] = ()
    # "Show archived": the archived logins are listed (each page loads them in _refresh).
    show_archived: bool = False

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
        )
        if done is None:
            return None
        if not done.repeat:
            self.notice = (
                f"Invitation sent to {done.result.email}. The link works once, until "
                f"{done.result.link_expires}; they choose their own password there."
            )
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
            self.notice = (
                f"Reset link sent to {done.result.email}. It works once, until "
                f"{done.result.link_expires}. Any sign-in lockout is lifted now; their password "
                "and sessions stay as they are until they use the link, which then signs them "
                "out everywhere."
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
    async def resend_invitation(self, token: str, user_id: int):
        if (uid := self._id(user_id)) is None:
            return
        done = await self._act_async(team.resend_invitation, token=token, user_id=uid)
        if done is not None and not done.repeat:
            self.notice = (
                f"A new invitation was sent to {done.result.email}; earlier links no longer "
                f"work. The new one works once, until {done.result.link_expires}."
            )

    @rx.event
    def revoke_invitation(self, token: str, user_id: int):
        if (uid := self._id(user_id)) is not None:
            self._act(
                team.revoke_invitation,
                token=token,
                user_id=uid,
                success="Invitation revoked: its link no longer works. The login stays "
                "“Invited” until you resend the invitation or deactivate it.",
            )

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

    @rx.event
    def toggle_archived(self, shown: bool):
        self.show_archived = bool(shown)
        self._refresh_after(None)

    @rx.event
    def archive_login(self, token: str, user_id: int):
        """A deactivated login leaves the lists and pickers; its history stays."""
        if (uid := self._id(user_id)) is not None:
            self._act(
                team.set_archived,
                token=token,
                user_id=uid,
                archived=True,
                success="Login archived: it is hidden from the lists and pickers, and kept in "
                "the audit log and the access history. Show archived to restore it.",
            )

    @rx.event
    def restore_login(self, token: str, user_id: int):
        if (uid := self._id(user_id)) is not None:
            self._act(
                team.set_archived,
                token=token,
                user_id=uid,
                archived=False,
                success="Login restored: it is listed again, still deactivated.",
            )
