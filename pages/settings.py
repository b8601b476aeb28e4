"""Admin settings: plan seats, modules, the firm's time zone, staff logins, outgoing mail."""

from __future__ import annotations

import reflex as rx

from pages.components import (
    action_button,
    field,
    messages,
    section,
    select_field,
    submit_form,
)
from pages.layout import shell
from pages.login_sessions import end_sessions_control
from pages.staff import people_table
from state.settings import TIME_ZONE_HINT
from state.settings import SettingsState as S


def login_actions(state, person, *, reset: bool = True) -> rx.Component:
    """Per login: resend or revoke a pending invitation, email a reset link, deactivate or
    reactivate. Settings and bookkeepers."""
    link_actions = rx.cond(
        person.status == "invited",
        rx.fragment(
            action_button(
                "Resend invitation",
                state.resend_invitation(state.submit_token, person.id),
                size="1",
                variant="soft",
                aria_label="Resend the invitation of " + person.name,
            ),
            action_button(
                "Revoke invitation",
                state.revoke_invitation(state.submit_token, person.id),
                size="1",
                variant="soft",
                color_scheme="orange",
                aria_label="Revoke the invitation of " + person.name,
            ),
        ),
        rx.cond(
            person.status == "active",
            action_button(
                "Reset password",
                state.reset_password(state.submit_token, person.id),
                size="1",
                variant="soft",
                aria_label="Email a password-reset link to " + person.name,
                title="Emails a link to choose a new password; their sessions end when it is used.",
            ),
        ),
    )
    return rx.hstack(
        link_actions if reset else rx.fragment(),
        rx.cond(
            person.is_active,
            action_button(
                "Deactivate",
                state.set_active(state.submit_token, person.id, False),
                size="1",
                variant="soft",
                color_scheme="red",
                aria_label="Deactivate " + person.name,
            ),
            rx.fragment(
                action_button(
                    "Reactivate",
                    state.set_active(state.submit_token, person.id, True),
                    size="1",
                    variant="soft",
                    aria_label="Reactivate " + person.name,
                ),
                action_button(
                    "Archive",
                    state.archive_login(state.submit_token, person.id),
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    aria_label="Archive " + person.name,
                    title="Hides the login from the lists and pickers; the audit log and the "
                    "access history keep it. Show archived to restore it.",
                ),
            ),
        ),
        reset_factor_button(state, person),
        end_sessions_control(state, person),
        spacing="2",
        wrap="wrap",
    )


def restore_button(state, person) -> rx.Component:
    return action_button(
        "Restore",
        state.restore_login(state.submit_token, person.id),
        size="1",
        variant="soft",
        aria_label="Restore " + person.name,
        title="Lists the login again, still deactivated.",
    )


def show_archived(state, table: rx.Component) -> rx.Component:
    """The "Show archived" switch, and the archived logins with "Restore" when shown."""
    return rx.vstack(
        # The checkbox's own text names it: a <label> around a Radix checkbox (a button)
        # does not, to a screen reader.
        rx.checkbox(
            "Show archived",
            checked=state.show_archived,
            on_change=state.toggle_archived,
            id=f"show-archived-{state.get_name()}",
            size="2",
        ),
        rx.cond(
            state.show_archived,
            rx.cond(
                state.archived.length() > 0,
                rx.vstack(
                    rx.heading("Archived logins", as_="h3", size="3"),
                    table,
                    width="100%",
                ),
                rx.text("No archived logins.", size="2", color_scheme="gray"),
            ),
        ),
        width="100%",
        spacing="2",
    )


def reset_factor_button(state, person) -> rx.Component:
    """Remove a person's second factors (a lost phone), after a confirmation that says what
    follows: their sessions end and they set up a factor again."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                "Reset second factor",
                size="1",
                variant="soft",
                color_scheme="orange",
                aria_label="Reset the second factor of " + person.name,
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Reset the second factor of " + person.name + "?"),
            rx.alert_dialog.description(
                "Their authenticator app and recovery codes stop working, and every session "
                "of theirs ends now. If the firm's policy asks for a second factor, they set "
                "one up again right after their password at the next sign-in."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    action_button(
                        "Reset second factor",
                        state.reset_second_factor(state.submit_token, person.id),
                        color_scheme="orange",
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
        ),
    )


def _factor_policy() -> rx.Component:
    return section(
        "Second factor",
        rx.text(
            "Who must sign in with a second factor (an authenticator app or a passkey) as "
            "well as a password. The FTC Safeguards Rule expects it of everyone who can open "
            "client data. A person it covers who has none is asked to set one up right after "
            "their password, and can do nothing else until they have."
        ),
        submit_form(
            rx.vstack(
                rx.checkbox(
                    "Require a second factor for admins",
                    name="mfa_admins",
                    default_checked=S.factor_policy.admins,
                    key="mfa-admins-" + S.factor_policy.admins.to_string(),
                ),
                rx.checkbox(
                    "Require a second factor for staff",
                    name="mfa_staff",
                    default_checked=S.factor_policy.staff,
                    key="mfa-staff-" + S.factor_policy.staff.to_string(),
                ),
                rx.checkbox(
                    "Require a second factor for bookkeepers",
                    name="mfa_bookkeepers",
                    default_checked=S.factor_policy.bookkeepers,
                    key="mfa-bookkeepers-" + S.factor_policy.bookkeepers.to_string(),
                ),
                rx.button("Save second-factor policy", type="submit"),
                spacing="3",
            ),
            on_submit=S.save_factor_policy,
            form_id="factor-policy",
            aria_label="Second-factor policy",
        ),
    )


def _staff_actions(person) -> rx.Component:
    return rx.cond(
        person.is_me, rx.text("You", size="1", color_scheme="gray"), login_actions(S, person)
    )


def login_form(state, *, title: str, button: str, prefix: str, roles=None) -> rx.Component:
    """Adding a login by emailed invitation: staff and bookkeepers. Nobody types a password
    for anyone; the person chooses their own from the link."""
    fields = [
        field("Name", name="name", id=f"{prefix}-name"),
        field("Email", name="email", type="email", id=f"{prefix}-email"),
    ]
    if roles:
        fields.append(select_field("Role", name="role", id=f"{prefix}-role", options=roles))
    return rx.card(
        submit_form(
            rx.heading(title, as_="h3", size="3"),
            rx.text(
                "They get an email invitation with a link that works once, for 72 hours, "
                "where they choose their own password.",
                size="2",
                color_scheme="gray",
            ),
            rx.hstack(*fields, align="start", wrap="wrap", width="100%"),
            rx.button(button, type="submit", margin_top="0.5em"),
            on_submit=state.create_login,
            form_id=f"{prefix}-login",
            aria_label=title,
        ),
        width="100%",
    )


def mail_note(state) -> rx.Component:
    """Where invitations and reset links go: the mail server, or the outbox folder."""
    return rx.text(state.plan.mail_note, size="2", color_scheme="gray")


def _mail_row(mail) -> rx.Component:
    return rx.table.row(
        rx.table.cell(mail.recipient),
        rx.table.cell(mail.kind_label),
        rx.table.cell(mail.status_label),
        rx.table.cell(mail.attempts),
        rx.table.cell(mail.last_error),
        rx.table.cell(mail.next_try),
        rx.table.cell(
            action_button(
                "Retry now",
                S.retry_mail(S.submit_token, mail.id),
                size="1",
                variant="soft",
                aria_label="Retry now: " + mail.kind_label + " to " + mail.recipient,
            )
        ),
    )


def _outgoing_mail() -> rx.Component:
    """What waits to go out or failed: a mail server down shows here, not in silence."""
    return section(
        "Outgoing mail",
        rx.cond(
            S.outgoing.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in (
                                "To",
                                "Email",
                                "Status",
                                "Tries",
                                "Last error",
                                "Next try",
                                "Actions",
                            )
                        ]
                    )
                ),
                rx.table.body(rx.foreach(S.outgoing, _mail_row)),
                width="100%",
            ),
            rx.text("Nothing waiting: every email the portal sent has gone out."),
        ),
    )


def _recurring() -> rx.Component:
    """When a recurring filing's next one is made: when it is filed, or on a schedule."""
    return section(
        "Recurring filings",
        submit_form(
            rx.hstack(
                rx.box(
                    select_field(
                        "Make the next filing",
                        name="recurring_on",
                        id="recurring-on",
                        options=[
                            ("filed", "When the current one is filed"),
                            ("schedule", "On a schedule, before the next due date"),
                        ],
                        default_value=S.recurring.recurring_on,
                        key="recurring-on-" + S.recurring.recurring_on,
                    ),
                    min_width="18em",
                ),
                rx.box(
                    field(
                        "Days before the next due date",
                        name="recurring_days_before",
                        id="recurring-days-before",
                        type="number",
                        min=0,
                        max=365,
                        default_value=S.recurring.days_before.to_string(),
                        key="recurring-days-" + S.recurring.days_before.to_string(),
                        hint="Used on a schedule: the next filing appears this many days "
                        "before it is due.",
                    ),
                    max_width="18em",
                ),
                rx.button("Save recurring filings", type="submit"),
                align="end",
                spacing="3",
                wrap="wrap",
            ),
            on_submit=S.save_recurring,
            form_id="recurring-form",
            aria_label="Recurring filings",
        ),
    )


def settings_page() -> rx.Component:
    return shell(
        rx.heading("Settings", as_="h1", size="6"),
        messages(S),
        section(
            "Plan",
            rx.hstack(
                rx.text(
                    "Staff seats: ",
                    rx.text.strong(S.plan.seats_used, " of ", S.plan.staff_seats, " used"),
                ),
                rx.text("Bookkeeper logins: ", rx.text.strong("unlimited")),
                spacing="6",
                wrap="wrap",
            ),
        ),
        section(
            "Modules",
            submit_form(
                rx.vstack(
                    rx.checkbox(
                        "Filing Steps: split filings into steps assigned to people",
                        name="filing_steps",
                        default_checked=S.plan.filing_steps_enabled,
                        key=S.plan.filing_steps_enabled.to_string(),
                    ),
                    rx.checkbox(
                        "Bookkeeper Portal add-on: restricted logins that follow the work "
                        "(needs Filing Steps)",
                        name="portal",
                        default_checked=S.plan.portal_enabled,
                        key=S.plan.portal_enabled.to_string(),
                    ),
                    rx.button("Save modules", type="submit"),
                    spacing="3",
                ),
                on_submit=S.save_modules,
                form_id="modules",
                aria_label="Modules",
            ),
        ),
        _factor_policy(),
        section(
            "Time zone",
            submit_form(
                rx.hstack(
                    rx.box(
                        field(
                            "Firm time zone",
                            name="time_zone",
                            id="time-zone",
                            default_value=S.time_zone,
                            key=S.time_zone,
                            hint=TIME_ZONE_HINT,
                        ),
                        max_width="28em",
                        width="100%",
                    ),
                    rx.button("Save time zone", type="submit"),
                    align="end",
                    spacing="3",
                    wrap="wrap",
                ),
                on_submit=S.save_time_zone,
                form_id="time-zone-form",
                aria_label="Time zone",
            ),
        ),
        _recurring(),
        _outgoing_mail(),
        section(
            "Staff logins",
            mail_note(S),
            login_form(
                S,
                title="Add a staff login",
                button="Add login",
                prefix="staff",
                roles=[("staff", "Staff"), ("admin", "Admin")],
            ),
            people_table(S.people, _staff_actions),
            show_archived(S, people_table(S.archived, lambda p: restore_button(S, p))),
        ),
    )
