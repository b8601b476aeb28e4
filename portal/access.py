"""Layer 1, the portal boundary: which page routes and event handlers each role may reach.

This module only declares. `portal.boundary` enforces it before any handler runs, and a test
fails when any handler of any State class is missing here. Anything not listed is refused:
deny by default. Handlers are named "module.StateClass.handler".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from portal import routes
from portal.auth import Actor


class Role(StrEnum):
    SIGNED_OUT = "signed_out"
    # Signed in, but must choose a new password before anything else.
    PASSWORD_CHANGE = "password_change"  # noqa: S105 (a role name)
    # Signed in, but the firm's policy requires a second factor they do not have yet: they
    # may only set one up (after a forced password change, which comes first).
    MUST_ENROL = "must_enrol"
    BOOKKEEPER = "bookkeeper"
    STAFF = "staff"
    ADMIN = "admin"


def role_for(actor: Actor | None) -> Role:
    """The allowlist that applies to whoever the server-side session says is acting."""
    if actor is None:
        return Role.SIGNED_OUT
    if actor.must_change_password:
        return Role.PASSWORD_CHANGE
    if actor.must_enrol:
        return Role.MUST_ENROL
    return Role(actor.role)


def _handlers(state: str, *names: str) -> frozenset[str]:
    return frozenset(f"{state}.{name}" for name in names)


def _union(*groups: Iterable[str]) -> frozenset[str]:
    return frozenset().union(*groups)


# Reflex's own plumbing: hydration and page-load bookkeeping. None of our code runs in them.
REFLEX_INTERNAL = _union(
    _handlers("reflex.state.State", "hydrate_and_load"),
    _handlers("reflex.state.OnLoadInternalState", "on_load_internal", "set_is_hydrated"),
    _handlers("reflex.state.FrontendEventExceptionState", "handle_frontend_exception"),
)
ON_LOAD_INTERNAL = "reflex.state.OnLoadInternalState.on_load_internal"
HYDRATE_AND_LOAD = "reflex.state.State.hydrate_and_load"

# Never allowed to anyone. `setvar` (on every State class) would let the browser write any
# var; update_vars_internal writes browser-storage vars, and this app keeps none. The root's
# hydrate and set_is_hydrated are only ever called by the server itself.
DENIED_TO_ALL = _union(
    _handlers("reflex.state.UpdateVarsInternalState", "update_vars_internal"),
    _handlers("reflex.state.State", "hydrate", "set_is_hydrated"),
)


# Handlers a browser calls many times a second by design (an upload's progress reports). The
# rate limits count them in a window of their own once the role may call them at all.
PROGRESS_EVENTS = frozenset({"state.client.ClientState.upload_progress"})


def denied_to_all(handler: str) -> bool:
    return handler in DENIED_TO_ALL or handler.endswith(".setvar")


# `answer` takes the browser's answer to an action the server asked of this tab (what was
# typed, a passkey): it does nothing unless the server asked (portal/browser.py).
_EVERY_PAGE = _handlers("state.session.SessionState", "enter_page", "answer")
_SIGNED_IN = _union(
    _EVERY_PAGE,
    _handlers("state.session.SessionState", "sign_out", "dismiss_unsent"),
    _handlers("state.password.PasswordState", "change_password"),
)

# A person's own passkeys (the sign-in security page). The "must enrol" role needs these too:
# registering a passkey is one way to enrol.
PASSKEY_MANAGEMENT = _handlers(
    "state.passkeys.PasskeysState",
    "load",
    "start_registration",
    "start_rename",
    "cancel_rename",
    "rename",
    "ask_remove",
    "keep",
    "remove",
)

# Setting up a second factor on the security page: every role with work, and the person the
# firm's policy sends there before anything else.
_ENROLMENT = _handlers(
    "state.security.SecurityState",
    "load",
    "start_enrolment",
    "confirm_enrolment",
    "cancel_enrolment",
    "dismiss_codes",
)

# Everyone's own account page and the header's notifications: every role with work, never a
# session that must change its password first or set up a second factor.
_ACCOUNT = _union(
    _handlers("state.notifications.NotificationsState", "open_list", "mark_all_read"),
    _handlers(
        "state.account.AccountState",
        "load",
        "save_notifications",
        "end_session",
        "end_other_sessions",
    ),
    _ENROLMENT,
    _handlers("state.security.SecurityState", "disable", "regenerate_codes"),
    PASSKEY_MANAGEMENT,
)

_SIGNED_OUT_EVENTS = _union(
    REFLEX_INTERNAL,
    _EVERY_PAGE,
    _handlers(
        "state.signin.SignInState",
        "load",
        "sign_in",
        "verify_code",
        "toggle_recovery",
        "start_again",
        "use_passkey",
    ),
    _handlers("state.links.InvitationState", "load", "accept"),
    _handlers("state.links.ResetPasswordState", "load", "set_new_password"),
    _handlers("state.links.ForgotPasswordState", "load", "request_link"),
    _handlers("state.passkeys.PasskeySignInState", "start_sign_in"),
)

_PASSWORD_CHANGE_EVENTS = _union(REFLEX_INTERNAL, _SIGNED_IN)

# Only setting up a second factor, and signing out.
_MUST_ENROL_EVENTS = _union(
    REFLEX_INTERNAL,
    _EVERY_PAGE,
    _handlers("state.session.SessionState", "sign_out"),
    _ENROLMENT,
    # Registering a passkey is the other way to enrol.
    PASSKEY_MANAGEMENT,
)

# The work anyone assigned to a step may do on it, on whichever page mixes it in.
STEP_WORK = (
    "set_step_status",
    "mark_waiting",
    "cancel_waiting",
    "tick",
    "log_time",
    "start_edit_time",
    "cancel_edit_time",
    "update_time",
    "delete_time",
    "add_comment",
)

# Their own tasks, their own steps' work, and reading the clients behind them. Nothing that
# files, uploads, sends, deletes, assigns or sets dates: those handlers are staff-only below.
# A CSV or text document's preview page: the documents service decides what is in scope.
_DOCUMENT_PREVIEW = _handlers("state.document_preview.DocumentPreviewState", "load")

_BOOKKEEPER_EVENTS = _union(
    REFLEX_INTERNAL,
    _SIGNED_IN,
    _ACCOUNT,
    _DOCUMENT_PREVIEW,
    _handlers(
        "state.tasks.TasksState",
        "load",
        "filter_status",
        "filter_client",
        "sort_by",
        "next_page",
        "previous_page",
    ),
    _handlers("state.task.TaskState", "load", "post", *STEP_WORK),
    _handlers("state.client.ClientState", "load", "post_thread", "download"),
)

_STAFF_EVENTS = _union(
    REFLEX_INTERNAL,
    _SIGNED_IN,
    _ACCOUNT,
    _DOCUMENT_PREVIEW,
    _handlers("state.home.HomeState", "load"),
    _handlers("state.staff.StaffState", "load"),
    _handlers("state.workload.WorkloadState", "load"),
    _handlers(
        "state.templates.TemplatesState",
        "load",
        "new_template",
        "edit_template",
        "close_editor",
        "add_step_row",
        "remove_step_row",
        "move_step_row",
        "save_template",
        "ask_delete",
        "keep",
        "delete_template",
    ),
    _handlers(
        "state.clients.ClientsState",
        "load",
        "find",
        "next_page",
        "previous_page",
        "toggle_add",
        "create",
    ),
    _handlers(
        "state.client_import.ClientImportState",
        "load",
        "begin_upload",
        "upload",
        "set_mapping",
        "choose_duplicates",
        "set_skip_errors",
        "start_over",
        "run_import",
    ),
    _handlers(
        "state.client.ClientState",
        "load",
        "download",
        "toggle_edit",
        "save",
        "reload_editor",
        "toggle_add_filing",
        "create_filing",
        "choose_upload_filing",
        "begin_upload",
        "upload_progress",
        "upload",
        "ask_delete",
        "keep",
        "delete_document",
        "compose",
        "compose_with_document",
        "close_compose",
        "send_email",
        "delete_email",
    ),
    _handlers(
        "state.filing.FilingState",
        "load",
        "download",
        "reload_editor",
        "file_filing",
        "cancel_filing",
        "reopen_filing",
        "set_reviewer",
        "set_approver",
        "set_recurrence",
        "send_to_review",
        "approve_filing",
        "return_filing",
        "sign_off_filing",
        "toggle_edit_filing",
        "save_filing",
        "add_step",
        "start_edit_step",
        "cancel_edit_step",
        "save_step",
        "move_step",
        "remove_step",
        "assign_step",
        "add_checklist_item",
        "remove_checklist_item",
        "post",
        *STEP_WORK,
    ),
)

_ADMIN_EVENTS = _union(
    _STAFF_EVENTS,
    _handlers(
        "state.settings.SettingsState",
        "load",
        "toggle_archived",
        "archive_login",
        "restore_login",
        "save_modules",
        "save_factor_policy",
        "save_time_zone",
        "save_recurring",
        "retry_mail",
        "create_login",
        "set_active",
        "reset_password",
        "reset_second_factor",
        "resend_invitation",
        "revoke_invitation",
        "ask_end_sessions",
        "keep_sessions",
        "end_sessions",
    ),
    _handlers(
        "state.bookkeepers.BookkeepersState",
        "load",
        "toggle_archived",
        "archive_login",
        "restore_login",
        "create_login",
        "set_active",
        "reset_password",
        "reset_second_factor",
        "resend_invitation",
        "revoke_invitation",
        "ask_end_sessions",
        "keep_sessions",
        "end_sessions",
    ),
    _handlers(
        "state.audit.AuditState",
        "load",
        "filter_person",
        "filter_client",
        "next_page",
        "previous_page",
    ),
    _handlers(
        "state.access_review.AccessReviewState",
        "load",
        "choose_view",
        "filter_person",
        "filter_client",
        "search_clients",
        "set_dates",
        "next_page",
        "previous_page",
    ),
)

EVENTS: dict[Role, frozenset[str]] = {
    Role.SIGNED_OUT: _SIGNED_OUT_EVENTS,
    Role.PASSWORD_CHANGE: _PASSWORD_CHANGE_EVENTS,
    Role.MUST_ENROL: _MUST_ENROL_EVENTS,
    Role.BOOKKEEPER: _BOOKKEEPER_EVENTS,
    Role.STAFF: _STAFF_EVENTS,
    Role.ADMIN: _ADMIN_EVENTS,
}

_STAFF_ROUTES = frozenset(
    {
        routes.HOME,
        routes.CLIENTS,
        routes.CLIENT_IMPORT,
        routes.CLIENT,
        routes.FILING,
        routes.DOCUMENT,
        routes.STAFF,
        routes.TEMPLATES,
        routes.WORKLOAD,
        routes.CHANGE_PASSWORD,
        routes.ACCOUNT,
        routes.SECURITY,
        routes.NOT_FOUND,
    }
)

ROUTES: dict[Role, frozenset[str]] = {
    Role.SIGNED_OUT: frozenset(
        {
            routes.LOGIN,
            routes.INVITATION,
            routes.RESET_PASSWORD,
            routes.FORGOT_PASSWORD,
            routes.NOT_FOUND,
        }
    ),
    Role.PASSWORD_CHANGE: frozenset({routes.CHANGE_PASSWORD, routes.NOT_FOUND}),
    Role.MUST_ENROL: frozenset({routes.SECURITY, routes.NOT_FOUND}),
    Role.BOOKKEEPER: frozenset(
        {
            routes.TASKS,
            routes.TASK,
            routes.CLIENT,
            routes.DOCUMENT,
            routes.CHANGE_PASSWORD,
            routes.ACCOUNT,
            routes.SECURITY,
            routes.NOT_FOUND,
        }
    ),
    Role.STAFF: _STAFF_ROUTES,
    Role.ADMIN: _STAFF_ROUTES
    | {routes.SETTINGS, routes.BOOKKEEPERS, routes.AUDIT, routes.ACCESS_REVIEW},
}

# Pages for people who are not signed in: a signed-in browser is sent to its landing page.
SIGNED_OUT_ONLY = (routes.LOGIN, routes.INVITATION, routes.RESET_PASSWORD, routes.FORGOT_PASSWORD)

LANDING: dict[Role, str] = {
    Role.SIGNED_OUT: routes.LOGIN,
    Role.PASSWORD_CHANGE: routes.CHANGE_PASSWORD,
    Role.MUST_ENROL: routes.SECURITY,
    Role.BOOKKEEPER: routes.TASKS,
    Role.STAFF: routes.HOME,
    Role.ADMIN: routes.HOME,
}


def event_allowed(role: Role, handler: str | None) -> bool:
    if handler is None or denied_to_all(handler):
        return False
    return handler in EVENTS[role]


def normalize_route(path: str) -> str:
    """Reflex names the index route "/index" and unknown paths "/404"."""
    path = "/" + (path or "").strip("/")
    return routes.HOME if path == "/index" else path


@dataclass(frozen=True)
class RouteDecision:
    allowed: bool
    # Where to send the browser instead; None with allowed=False means "show not found".
    redirect: str | None = None


def login_url(*, reason: str | None = None, next_path: str = "") -> str:
    """The sign-in page, saying why the visitor is there and where to go afterwards."""
    params = []
    if reason:
        params.append(f"reason={quote(reason)}")
    if next_path.startswith("/") and next_path not in ("/", routes.LOGIN):
        params.append("next=" + quote(next_path, safe="/"))
    return routes.LOGIN + ("?" + "&".join(params) if params else "")


def route_decision(
    role: Role, route: str, *, raw_path: str = "", reason: str | None = None
) -> RouteDecision:
    """May this role open this route; if not, where to send it (None: show not found)."""
    route = normalize_route(route)
    if route in ROUTES[role]:
        return RouteDecision(True)
    if role is Role.SIGNED_OUT:
        return RouteDecision(False, login_url(reason=reason, next_path=raw_path))
    # A forced password change, or a second factor the policy requires: that page first.
    if role in (Role.PASSWORD_CHANGE, Role.MUST_ENROL) or route in (routes.HOME, *SIGNED_OUT_ONLY):
        return RouteDecision(False, LANDING[role])
    return RouteDecision(False)


def safe_next(next_path: str | None, role: Role) -> str:
    """Where to go after signing in: a local page this role may open, else its landing page."""
    path = next_path or ""
    if not path.startswith("/") or path.startswith("//") or any(c in path for c in "\\\r\n\t"):
        return LANDING[role]
    route = routes.match(path)
    if route is None or route not in ROUTES[role] or route == routes.LOGIN:
        return LANDING[role]
    return path
