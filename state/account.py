"""A person's own account page: their email switches (and the way to a new password)."""

from __future__ import annotations

import reflex as rx

from portal.services import notifications
from portal.services.mail_content import DIGEST_DAYS, DIGEST_HOUR
from portal.services.notifications import EmailChoices
from state.calls import call
from state.page import PageMixin
from state.session import SessionState

ASSIGNMENTS_LABEL = "Email me when a task is assigned to me"
DIGEST_LABEL = (
    f"Email me each morning (from {DIGEST_HOUR:02d}:00 in the firm's time zone) a list of my "
    f"tasks that are overdue or due in the next {DIGEST_DAYS} days"
)


class AccountState(PageMixin, SessionState):
    choices: EmailChoices = EmailChoices()

    @rx.event
    def load(self):
        self._refresh_after(None)

    def _refresh(self) -> None:
        self.choices = call(notifications.email_choices)

    @rx.event
    def save_notifications(self, form: dict):
        """Saved once however often the button is pressed (the form's token)."""
        self._submit(
            form,
            notifications.set_email_choices,
            assignments=form.get("assignments") == "on",
            digest=form.get("digest") == "on",
            success="Your notification settings are saved.",
        )
