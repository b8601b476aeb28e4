"""Every page with its route, title and the load handlers that fill it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import reflex as rx

from pages.access_review import access_review_page
from pages.account import account_page
from pages.audit import audit_page
from pages.bookkeepers import bookkeepers_page
from pages.client import client_page
from pages.client_import import client_import_page
from pages.clients import clients_page
from pages.document_preview import document_preview_page
from pages.filing import filing_page
from pages.home import home_page
from pages.links import forgot_password_page, invitation_page, reset_password_page
from pages.login import login_page
from pages.not_found import not_found_page
from pages.password import password_page
from pages.security import security_page
from pages.settings import settings_page
from pages.staff import staff_page
from pages.task import task_page
from pages.tasks import tasks_page
from pages.templates import templates_page
from pages.workload import workload_page
from portal import routes
from state.access_review import AccessReviewState
from state.account import AccountState
from state.audit import AuditState
from state.bookkeepers import BookkeepersState
from state.client import ClientState
from state.client_import import ClientImportState
from state.clients import ClientsState
from state.document_preview import DocumentPreviewState
from state.filing import FilingState
from state.home import HomeState
from state.links import ForgotPasswordState, InvitationState, ResetPasswordState
from state.passkeys import PasskeysState
from state.security import SecurityState
from state.settings import SettingsState
from state.signin import SignInState
from state.staff import StaffState
from state.task import TaskState
from state.tasks import TasksState
from state.templates import TemplatesState
from state.workload import WorkloadState


@dataclass(frozen=True)
class Page:
    route: str
    title: str
    component: Callable[[], rx.Component]
    on_load: tuple = field(default_factory=tuple)


PAGES = (
    Page(routes.LOGIN, "Sign in", login_page, (SignInState.load,)),
    Page(routes.INVITATION, "Accept your invitation", invitation_page, (InvitationState.load,)),
    Page(
        routes.RESET_PASSWORD,
        "Choose a new password",
        reset_password_page,
        (ResetPasswordState.load,),
    ),
    Page(
        routes.FORGOT_PASSWORD,
        "Forgot your password?",
        forgot_password_page,
        (ForgotPasswordState.load,),
    ),
    Page(routes.CHANGE_PASSWORD, "Choose a new password", password_page),
    Page(routes.ACCOUNT, "Your account", account_page, (AccountState.load,)),
    Page(
        routes.SECURITY,
        "Sign-in security",
        security_page,
        (SecurityState.load, PasskeysState.load),
    ),
    Page(routes.HOME, "Firm home", home_page, (HomeState.load,)),
    Page(routes.TASKS, "My tasks", tasks_page, (TasksState.load,)),
    Page(routes.TASK, "Task", task_page, (TaskState.load,)),
    Page(routes.CLIENTS, "Clients", clients_page, (ClientsState.load,)),
    Page(
        routes.CLIENT_IMPORT,
        "Import clients",
        client_import_page,
        (ClientImportState.load,),
    ),
    Page(routes.CLIENT, "Client", client_page, (ClientState.load,)),
    Page(routes.FILING, "Filing", filing_page, (FilingState.load,)),
    Page(routes.DOCUMENT, "Document", document_preview_page, (DocumentPreviewState.load,)),
    Page(routes.STAFF, "Staff", staff_page, (StaffState.load,)),
    Page(routes.TEMPLATES, "Filing templates", templates_page, (TemplatesState.load,)),
    Page(routes.WORKLOAD, "Workload", workload_page, (WorkloadState.load,)),
    Page(routes.SETTINGS, "Settings", settings_page, (SettingsState.load,)),
    Page(routes.BOOKKEEPERS, "Bookkeepers", bookkeepers_page, (BookkeepersState.load,)),
    Page(routes.AUDIT, "Audit log", audit_page, (AuditState.load,)),
    Page(routes.ACCESS_REVIEW, "Access review", access_review_page, (AccessReviewState.load,)),
)

NOT_FOUND = Page("404", "Not found", not_found_page)
