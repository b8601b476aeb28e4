"""How a page state calls the service layer: as the user the boundary verified, in its own
unit of work, once per submission, and with every unexpected failure turned into a clear
message that carries a reference to the log.

This is the one catch-all of the page base. A bug or an outage in a service must never
reach the browser as Reflex's generic "An error occurred" toast: the person is told what
failed, that nothing was saved (the unit of work rolled back), and a reference they can
quote, which is logged with the traceback.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from reflex_base.event import EventSpec

from portal import browser
from portal.auth import require_acting
from portal.services import runner
from portal.services.errors import ServiceError, Unexpected

T = TypeVar("T")
log = logging.getLogger("portal.pages")

# What the person was doing, in their words, by service operation ("module.function").
DOING = {
    "accounts.change_own_password": "changing your password",
    "accounts.sign_out": "signing you out",
    "signin.sign_in": "signing you in",
    "signin.finish_with_code": "checking your code",
    "second_factor.start_enrolment": "setting up your authenticator app",
    "second_factor.confirm_enrolment": "turning on your authenticator app",
    "second_factor.cancel_enrolment": "cancelling the set-up",
    "second_factor.disable": "turning off your authenticator app",
    "second_factor.regenerate_recovery_codes": "making new recovery codes",
    "second_factor.set_policy": "saving the second-factor policy",
    "second_factor.reset_for": "resetting the second factor",
    "clients.create_client": "creating the client",
    "client_import.preview": "reading the file",
    "client_import.import_clients": "importing the clients",
    "clients.update_client": "saving the client",
    "clients.edit_values": "opening the client for editing",
    "discussion.add_post": "posting your message",
    "documents.delete_document": "deleting the document",
    "documents.upload_documents": "uploading the documents",
    "documents.download_link": "preparing the download",
    "document_preview.preview": "loading the document's preview",
    "emails.delete_email": "deleting the email",
    "emails.send_email": "sending the email",
    "filings.change_status": "changing the filing's status",
    "filings.create_filing": "creating the filing",
    "filings.set_reviewer": "setting the reviewer or approver",
    "filings.update_filing": "saving the filing",
    "firm_time.set_time_zone": "saving the time zone",
    "links.describe": "checking your link",
    "links.request_reset": "sending the password-reset link",
    "links.use_link": "setting your password",
    "login_sessions.end_all_of_person": "ending their sessions",
    "login_sessions.end_others": "ending your other sessions",
    "login_sessions.end_own": "ending the session",
    "mail_queue.retry_now": "trying the email again",
    "notifications.mark_all_read": "marking your notifications read",
    "notifications.set_email_choices": "saving your notification settings",
    "passkeys.registration_options": "preparing your new passkey",
    "recurrence.set_firm_setting": "saving when recurring filings are made",
    "recurrence.set_recurrence": "saving how the filing repeats",
    "passkeys.register": "adding your passkey",
    "passkeys.rename": "renaming your passkey",
    "passkeys.remove": "removing your passkey",
    "passkeys.sign_in_options": "preparing the passkey sign-in",
    "passkeys.sign_in": "signing you in with your passkey",
    "signin.passkey_options": "preparing your passkey",
    "signin.finish_with_passkey": "checking your passkey",
    "review.approve": "approving the filing",
    "review.return_filing": "returning the filing",
    "review.send_to_review": "sending the filing to review",
    "review.sign_off": "signing off the filing",
    "steps.add_checklist_item": "adding the checklist item",
    "steps.add_comment": "saving your comment",
    "steps.add_step": "adding the step",
    "steps.assign_step": "assigning the step",
    "steps.delete_time_entry": "deleting your time entry",
    "steps.edit_step": "saving the step",
    "steps.log_time": "saving your time entry",
    "steps.move_step": "moving the step",
    "steps.remove_checklist_item": "removing the checklist item",
    "steps.remove_step": "removing the step",
    "steps.set_checklist_item": "saving your tick",
    "steps.set_status": "changing the step's status",
    "steps.update_time_entry": "saving your time entry",
    "team.create_login": "creating the login and its invitation",
    "templates.create_filing": "creating the filing",
    "templates.delete_template": "deleting the template",
    "templates.save_template": "saving the template",
    "team.reset_password": "sending the reset link",
    "team.resend_invitation": "sending the invitation again",
    "team.revoke_invitation": "revoking the invitation",
    "team.set_active": "changing the login",
    "team.set_archived": "archiving or restoring the login",
    "team.set_modules": "saving the modules",
}
LOADING = "loading this page"

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def operation(fn: Callable) -> str:
    return f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"


def new_reference() -> str:
    """Eight characters a person can read out over the phone: no 0/O or 1/I."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def unexpected(fn: Callable, exc: BaseException) -> Unexpected:
    """Log an unexpected failure with a fresh reference, and the message that names it."""
    reference = new_reference()
    log.error("unexpected failure in %s [reference %s]", operation(fn), reference, exc_info=exc)
    return Unexpected(DOING.get(operation(fn), LOADING), reference)


def call(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Run one service call in its own unit of work, as the user the boundary verified."""
    try:
        return runner.perform(fn, actor=require_acting(), **kwargs)
    except ServiceError:
        raise
    except Exception as exc:
        raise unexpected(fn, exc) from exc


def call_once(fn: Callable[..., Any], /, *, token: object, **kwargs: Any) -> runner.Once:
    """The same for a submission: a repeat of one already handled runs nothing."""
    try:
        return runner.perform_once(fn, actor=require_acting(), token=token, **kwargs)
    except ServiceError:
        raise
    except Exception as exc:
        raise unexpected(fn, exc) from exc


async def call_in_thread(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Off the event loop: for calls that hash passwords or talk to a mail server."""
    return await asyncio.to_thread(call, fn, **kwargs)


def on_unexpected(exception: Exception) -> EventSpec:
    """The app's last net, for a failure outside any service call (a bug in a page state):
    still a clear message with a reference, never Reflex's generic toast."""
    reference = new_reference()
    log.error(
        "unexpected failure in an event handler [reference %s]", reference, exc_info=exception
    )
    return browser.toast(
        "Something went wrong on our side, and that action was not completed.",
        description=f"If it happens again, tell your firm's admin and quote reference {reference}.",
        duration=20000,
        position="top-center",
    )
