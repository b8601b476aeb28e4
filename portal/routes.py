"""Every page route in one place, so pages, the allowlist and links never disagree."""

from __future__ import annotations

import re
from urllib.parse import urlencode

LOGIN = "/login"
CHANGE_PASSWORD = "/account/password"  # noqa: S105 (a route)
ACCOUNT = "/account"
# The person's sign-in security: authenticator app, recovery codes, passkeys.
SECURITY = "/account/security"
HOME = "/"
TASKS = "/tasks"
TASK = "/tasks/[step_id]"
CLIENTS = "/clients"
# Before CLIENT wherever routes are matched in order: "import" is no client id.
CLIENT_IMPORT = "/clients/import"
CLIENT = "/clients/[client_id]"
FILING = "/filings/[filing_id]"
STAFF = "/staff"
# Filing templates: staff and admins.
TEMPLATES = "/templates"
SETTINGS = "/settings"
BOOKKEEPERS = "/admin/bookkeepers"
AUDIT = "/audit"
# A document's in-app preview (CSV as a table, plain text), beside its download.
DOCUMENT = "/documents/[document_id]"
ACCESS_REVIEW = "/audit/access"
# Workload and time as charts: staff and admins only.
WORKLOAD = "/workload"
# Signed-out pages reached from emailed links, and the request for one.
INVITATION = "/invitation"
RESET_PASSWORD = "/reset-password"  # noqa: S105 (a route)
FORGOT_PASSWORD = "/forgot-password"  # noqa: S105 (a route)
NOT_FOUND = "/404"

# HTTP routes served beside the Reflex app (not pages).
AUTH_SESSION = "/auth/session"
AUTH_SIGN_OUT = "/auth/sign-out"
DOCUMENT_DOWNLOAD = "/documents/{document_id}/download"
DOCUMENT_VIEW = "/documents/{document_id}/view"
ACCESS_REVIEW_EXPORT = "/audit/access/export"
# One Workload chart's figures as CSV; the chart is one of services.workload.CHARTS.
WORKLOAD_EXPORT = "/workload/export/{chart}"


def task(step_id: int) -> str:
    return f"/tasks/{step_id}"


def client(client_id: int) -> str:
    return f"/clients/{client_id}"


def filing(filing_id: int) -> str:
    return f"/filings/{filing_id}"


def document_download(document_id: int) -> str:
    return f"/documents/{document_id}/download"


def document(document_id: int) -> str:
    return f"/documents/{document_id}"


def document_view(document_id: int) -> str:
    return f"/documents/{document_id}/view"


def access_review_export(**filters: object) -> str:
    """The CSV of an access review view, its filters in the query (empty ones left out)."""
    query = urlencode({k: str(v) for k, v in filters.items() if v not in (None, "")})
    return ACCESS_REVIEW_EXPORT + ("?" + query if query else "")


def workload_export(chart: str) -> str:
    return f"/workload/export/{chart}"


# Every page route, for matching a URL path without asking Reflex (the HTTP guard, "next").
PAGE_ROUTES = (
    LOGIN,
    INVITATION,
    RESET_PASSWORD,
    FORGOT_PASSWORD,
    CHANGE_PASSWORD,
    ACCOUNT,
    SECURITY,
    HOME,
    TASKS,
    TASK,
    CLIENTS,
    CLIENT_IMPORT,
    CLIENT,
    FILING,
    DOCUMENT,
    STAFF,
    TEMPLATES,
    SETTINGS,
    BOOKKEEPERS,
    AUDIT,
    ACCESS_REVIEW,
    WORKLOAD,
)
_PATTERNS = [
    (re.compile("^" + re.sub(r"\\\[[a-z_]+\\\]", "[^/]+", re.escape(r)) + "/?$"), r)
    for r in PAGE_ROUTES
]


def match(path: str) -> str | None:
    """The page route a URL path opens, or None for anything that is not a page."""
    path = (path or "").split("?", 1)[0].split("#", 1)[0] or "/"
    for pattern, route in _PATTERNS:
        if pattern.match(path):
            return route
    return None
