"""Admin settings: the plan's seats, the modules, the firm's time zone, staff logins, and
the outgoing mail that waits or failed."""

from __future__ import annotations

import reflex as rx

from portal.services import firm_time, mail_queue, recurrence, second_factor, team
from portal.services.mail_content import DIGEST_HOUR
from portal.services.mail_queue import OutgoingRow
from portal.services.recurrence import FirmSetting
from portal.services.second_factor import FactorPolicy
from portal.services.team import PersonRow, PlanView
from state.calls import call
from state.logins import LoginAdminMixin
from state.session import SessionState

TIME_ZONE_HINT = (
    f"Morning digests go out from {DIGEST_HOUR:02d}:00 on this clock. A name such as "
    "America/Toronto, America/Vancouver or Europe/London."
)


class SettingsState(LoginAdminMixin, SessionState):
    login_roles = ("staff", "admin")
    plan: PlanView = PlanView()
    people: list[PersonRow] = []
    archived: list[PersonRow] = []
    time_zone: str = ""
    recurring: FirmSetting = FirmSetting()
    outgoing: list[OutgoingRow] = []
    factor_policy: FactorPolicy = FactorPolicy()

    @rx.event
    def load(self):
        self._refresh_after(None)

    def _refresh(self) -> None:
        self.plan = call(team.plan)
        self.people = call(team.list_staff)
        self.archived = call(team.list_staff, archived=True) if self.show_archived else []
        self.time_zone = call(firm_time.time_zone)
        self.recurring = call(recurrence.firm_setting)
        self.outgoing = call(mail_queue.outgoing)
        self.factor_policy = call(second_factor.policy)

    @rx.event
    def save_modules(self, form: dict):
        """Switched from what the page showed: another admin's change is never undone."""
        self._submit(
            form,
            team.set_modules,
            filing_steps=form.get("filing_steps") == "on",
            portal=form.get("portal") == "on",
            expected=(self.plan.filing_steps_enabled, self.plan.portal_enabled),
            success="Modules saved.",
        )

    @rx.event
    def save_factor_policy(self, form: dict):
        self._submit(
            form,
            second_factor.set_policy,
            admins=form.get("mfa_admins") == "on",
            staff=form.get("mfa_staff") == "on",
            bookkeepers=form.get("mfa_bookkeepers") == "on",
            success="Second-factor policy saved. Anyone it now covers who has no second "
            "factor must set one up before they can do anything else.",
        )

    @rx.event
    def save_time_zone(self, form: dict):
        self._submit(
            form,
            firm_time.set_time_zone,
            time_zone=form.get("time_zone"),
            success="Time zone saved: morning digests go out by its clock.",
        )

    @rx.event
    def save_recurring(self, form: dict):
        self._submit(
            form,
            recurrence.set_firm_setting,
            recurring_on=form.get("recurring_on"),
            days_before=form.get("recurring_days_before"),
            success="Saved when recurring filings get their next filing.",
        )

    @rx.event
    def retry_mail(self, token: str, mail_id: int):
        if (mid := self._id(mail_id)) is not None:
            self._act(
                mail_queue.retry_now,
                token=token,
                mail_id=mid,
                success="The email will be tried again within a few seconds.",
            )
