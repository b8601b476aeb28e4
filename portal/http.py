"""The HTTP side of the boundary: cookie handoff, sign-out, and a guard around every request.

Reflex events travel over a websocket and cannot set an HttpOnly cookie, so a successful
sign-in hands the browser a one-time code that it exchanges here for the session cookie.
The guard wraps the whole ASGI app: it refuses cross-site websocket and form requests,
never serves Reflex's public upload folder, lets only staff reach the upload endpoint, and
applies the route allowlist to pages loaded directly, before any HTML is sent. Pages, the
document routes, the sign-in handoff, sign-out and uploads count against the session's and
the address's HTTP rate limits (`portal.ratelimit`) first: over them, the answer is a 429
with Retry-After, and the refusal is audited, folded into one row per actor, what and minute.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from portal import access, auth, csp, csv_export, ratelimit, routes
from portal.boundary import problem_reason, record_refusal, record_too_fast, resolve_cookie
from portal.db import reading, unit_of_work
from portal.services import access_review, audit, documents, inputs, sessions, workload
from portal.services.errors import Invalid, NotFound, ServiceError
from portal.services.sessions import SessionProblem
from portal.settings import get_settings

log = logging.getLogger("portal.http")

# On every response that lacks them; besides these, the Content-Security-Policy of the pages
# (with the build's script hashes) and, over HTTPS, Strict-Transport-Security: portal/csp.py.
# A response with its own CSP (a document view's sandbox, the document refusal) keeps it.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


# A refusal reads the request body before it answers, so a client that is still sending gets
# the answer instead of a reset connection. Past this much it stops reading and closes.
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024


async def drain(receive: Receive, limit: int = DRAIN_LIMIT_BYTES) -> None:
    """Read and discard the rest of a request's body (up to `limit` bytes)."""
    total = 0
    while total <= limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        total += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _refuse(request: Request, response: Response) -> Response:
    """A route's refusal, sent once the request's body has been read."""
    await drain(request.receive)
    return response


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else ""


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def same_origin(scope: Scope) -> bool:
    """True when the Origin header (if any) names this host or an explicitly allowed origin."""
    origin = _header(scope, b"origin")
    if not origin:
        return True
    host = _header(scope, b"host")
    if urlsplit(origin).netloc == host:
        return True
    return origin.rstrip("/") in get_settings().allowed_origins


def session_cookie(token: str) -> str:
    settings = get_settings()
    parts = [
        f"{auth.SESSION_COOKIE}={token}",
        "Path=/",
        "HttpOnly",
        "SameSite=Lax",
        f"Max-Age={settings.session_max_hours * 3600}",
    ]
    if settings.cookie_secure:
        parts.append("Secure")
    return "; ".join(parts)


def cleared_cookie() -> str:
    secure = "; Secure" if get_settings().cookie_secure else ""
    return f"{auth.SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"


async def redeem_session(request: Request) -> Response:
    if not same_origin(request.scope):
        return await _refuse(request, PlainTextResponse("Forbidden", status_code=403))
    form = await request.form()
    code = str(form.get("code") or "")
    with unit_of_work() as session:
        token = sessions.redeem_handoff(session=session, code=code)
    if token is None:
        return JSONResponse({"ok": False}, status_code=400)
    response = JSONResponse({"ok": True})
    response.headers.append("set-cookie", session_cookie(token))
    response.headers["cache-control"] = "no-store"
    return response


async def sign_out(request: Request) -> Response:
    if not same_origin(request.scope):
        return await _refuse(request, PlainTextResponse("Forbidden", status_code=403))
    resolution = resolve_cookie(request.headers.get("cookie", ""), _client_ip(request.scope))
    if resolution.actor is not None:
        with unit_of_work() as session:
            sessions.end(
                session=session, session_id=resolution.actor.session_id, reason="signed out"
            )
    response = JSONResponse({"ok": True})
    response.headers.append("set-cookie", cleared_cookie())
    response.headers["cache-control"] = "no-store"
    return response


# Every refusal of a document, whatever its reason (missing, deleted, another firm's, out of a
# bookkeeper's scope, a bad id, signed out), is this one response, byte for byte, so it never
# tells whether a document exists. It is a page a person can read: View opens in a new tab,
# where a bare "Not found" would leave someone whose document was just deleted guessing.
_DOCUMENT_NOT_FOUND_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_DOCUMENT_NOT_FOUND_HEADERS = {
    "cache-control": "private, no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "content-security-policy": _DOCUMENT_NOT_FOUND_CSP,
}
_DOCUMENT_NOT_FOUND_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Document not available · Bookkeeper Portal</title>
<style>
body {{ margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1c2024; background: #fcfcfd; line-height: 1.5; }}
main {{ max-width: 32em; margin: 12vh auto 0; padding: 0 1.5em; }}
h1 {{ font-size: 1.5em; margin: 0 0 0.5em; }}
a {{ color: #0d74ce; font-weight: 500; }}
</style>
</head>
<body>
<main>
<h1>Document not available</h1>
<p>This document has been deleted, or it is no longer available to you.</p>
<p>The list you opened it from may be out of date. Go back to the portal and open the
client again to see the documents you can open now.</p>
<p><a href="{routes.HOME}">Back to the portal</a></p>
</main>
</body>
</html>
""".encode()
_VIEW_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
_DOCUMENT_ROLES = (access.Role.BOOKKEEPER, access.Role.STAFF, access.Role.ADMIN)


def _document_not_found() -> Response:
    return HTMLResponse(
        _DOCUMENT_NOT_FOUND_PAGE, status_code=404, headers=_DOCUMENT_NOT_FOUND_HEADERS
    )


def content_disposition(kind: str, filename: str) -> str:
    """Both forms of the name: a plain ASCII one for old clients, and RFC 5987 UTF-8."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;%' else "_" for ch in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _open_for(
    cookie: str, ip: str, raw_id: str, inline: bool
) -> tuple[auth.Actor | None, documents.OpenDocument | None, os.stat_result | None]:
    """Re-read the session and load the document in one go, so a revoked session or a lost
    assignment is refused on the very next request."""
    actor = resolve_cookie(cookie, ip).actor
    if access.role_for(actor) not in _DOCUMENT_ROLES:
        return actor, None, None
    try:
        document_id = inputs.record_id(raw_id, label="document")
    except Invalid:
        return actor, None, None
    try:
        with unit_of_work() as session:
            opened = documents.open_document(session=session, actor=actor, document_id=document_id)
        stat = os.stat(opened.path)
    except (NotFound, FileNotFoundError):
        return actor, None, None
    except Exception:
        # Fail closed: a scope check or load that breaks reads exactly like "not found".
        log.exception("loading document %s failed; refusing it", raw_id[:80])
        return actor, None, None
    if inline and not opened.inline_ok:
        return actor, None, None
    return actor, opened, stat


async def _serve_document(request: Request, *, inline: bool) -> Response:
    ip = _client_ip(request.scope)
    raw_id = str(request.path_params.get("document_id", ""))
    actor, opened, stat = await run_in_threadpool(
        _open_for, request.headers.get("cookie", ""), ip, raw_id, inline
    )
    if opened is None or stat is None:
        if actor is not None:
            await run_in_threadpool(
                record_refusal, actor=actor, what=f"document {raw_id[:80]}", ip=ip, kind="download"
            )
        return _document_not_found()
    headers = {
        "content-disposition": content_disposition(
            "inline" if inline else "attachment", opened.filename
        ),
        "x-content-type-options": "nosniff",
        "cache-control": "private, no-store",
    }
    media_type = opened.content_type
    if inline:
        headers["content-security-policy"] = _VIEW_CSP
        # A CSV sent as text/csv is a download to the browser (its tab opens and closes):
        # shown inline, CSV and text go as plain text, in the same sandbox. The app's own
        # preview page (routes.DOCUMENT) shows CSV as a table.
        if media_type in documents.PREVIEW_CONTENT_TYPES:
            media_type = "text/plain"
    return FileResponse(opened.path, headers=headers, media_type=media_type, stat_result=stat)


async def download_document(request: Request) -> Response:
    return await _serve_document(request, inline=False)


async def view_document(request: Request) -> Response:
    return await _serve_document(request, inline=True)


# Every refusal of an access review export (signed out, not an admin, another firm's client or
# person, an id that never existed) is this one answer, so none of them tells anything apart.
_EXPORT_NOT_FOUND = b"Not found.\n"


def _export_refused() -> Response:
    return Response(
        _EXPORT_NOT_FOUND,
        status_code=404,
        media_type="text/plain",
        headers={"cache-control": "private, no-store"},
    )


def _start_access_export(
    cookie: str, ip: str, query: dict[str, str]
) -> tuple[auth.Actor | None, access_review.Review | None, access_review.Export | str | None]:
    """Re-read the session, check the filters and start the export (admins only), in one go:
    (actor, what was asked, the export or the message for a bad filter)."""
    actor = resolve_cookie(cookie, ip).actor
    if access.role_for(actor) is not access.Role.ADMIN:
        return actor, None, None
    try:
        asked = access_review.review(**{k: query.get(k, "") for k in access_review.FILTERS})
        with unit_of_work() as session:
            return (
                actor,
                asked,
                access_review.start_export(session=session, actor=actor, review=asked),
            )
    except NotFound:
        return actor, None, None
    except ServiceError as exc:
        return actor, None, exc.message


def export_batches(actor: auth.Actor, asked: access_review.Review):
    """The export's rows a batch at a time, each read in its own short unit of work, so a
    slow download never holds a transaction (or a pooled connection) open."""
    after = None
    while True:
        with reading() as session:
            batch = access_review.export_batch(
                session=session, actor=actor, review=asked, after=after
            )
        yield batch.rows
        if batch.after is None:
            return
        after = batch.after


async def access_review_csv(request: Request) -> Response:
    ip = _client_ip(request.scope)
    actor, asked, export = await run_in_threadpool(
        _start_access_export, request.headers.get("cookie", ""), ip, dict(request.query_params)
    )
    if isinstance(export, str):
        return PlainTextResponse(
            export + "\n", status_code=400, headers={"cache-control": "no-store"}
        )
    if asked is None or export is None:
        if actor is not None:
            await run_in_threadpool(
                record_refusal, actor=actor, what=routes.ACCESS_REVIEW_EXPORT, ip=ip, kind="route"
            )
        return _export_refused()
    return StreamingResponse(
        csv_export.lines(export.header, export_batches(actor, asked)),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": content_disposition("attachment", export.filename),
            "cache-control": "private, no-store",
            "x-content-type-options": "nosniff",
        },
    )


_WORKLOAD_ROLES = (access.Role.STAFF, access.Role.ADMIN)


def _workload_export(
    cookie: str, ip: str, chart: str
) -> tuple[auth.Actor | None, workload.Export | None]:
    """Re-read the session and count the chart's figures (staff and admins only), in one
    go; the download is audited. Anyone else, or an unknown chart, gets nothing."""
    actor = resolve_cookie(cookie, ip).actor
    if access.role_for(actor) not in _WORKLOAD_ROLES:
        return actor, None
    try:
        with unit_of_work() as session:
            made = workload.export(session=session, actor=actor, chart=chart)
            audit.record(
                session=session,
                actor=actor,
                action="workload_exported",
                target_type="firm",
                target_id=actor.firm_id,
                detail=chart,
            )
            return actor, made
    except ServiceError:
        # An unknown chart (or any refusal the service makes) is the same 404.
        return actor, None


async def workload_csv(request: Request) -> Response:
    ip = _client_ip(request.scope)
    chart = str(request.path_params.get("chart", ""))[:80]
    actor, made = await run_in_threadpool(
        _workload_export, request.headers.get("cookie", ""), ip, chart
    )
    if made is None:
        if actor is not None:
            await run_in_threadpool(
                record_refusal,
                actor=actor,
                what=routes.WORKLOAD_EXPORT,
                ip=ip,
                kind="route",
            )
        return _export_refused()
    return StreamingResponse(
        csv_export.lines(made.header, [made.rows]),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": content_disposition("attachment", made.filename),
            "cache-control": "private, no-store",
            "x-content-type-options": "nosniff",
        },
    )


def _any_id(route: str) -> str:
    """Match whatever sits where the id goes (even "../x"), so a bad id gets our own 404
    rather than falling through to a different answer."""
    return route.replace("{document_id}", "{document_id:path}")


def http_routes() -> list[Route]:
    return [
        Route(routes.AUTH_SESSION, redeem_session, methods=["POST"]),
        Route(routes.AUTH_SIGN_OUT, sign_out, methods=["POST"]),
        Route(_any_id(routes.DOCUMENT_DOWNLOAD), download_document, methods=["GET"]),
        Route(_any_id(routes.DOCUMENT_VIEW), view_document, methods=["GET"]),
        Route(routes.ACCESS_REVIEW_EXPORT, access_review_csv, methods=["GET"]),
        # Whatever sits where the chart goes (even "../x") gets this route's own 404.
        Route(
            routes.WORKLOAD_EXPORT.replace("{chart}", "{chart:path}"),
            workload_csv,
            methods=["GET"],
        ),
    ]


def routes_app(extra: list[Route] | None = None) -> Starlette:
    return Starlette(routes=[*http_routes(), *(extra or [])])


TOO_FAST_BODY = (ratelimit.TOO_FAST_MESSAGE + "\n").encode()


def rate_limited_as(path: str, method: str, page_route: str | None) -> str | None:
    """What a request counts as for the HTTP rate limits (and the audit log), or None for
    what they leave alone: scripts, styles and images, and the event socket."""
    if path == "/_upload" or path.startswith("/_upload/"):
        return "upload"
    bare = path.rstrip("/")
    if bare == routes.AUTH_SESSION:
        return "sign-in handoff"
    if bare == routes.AUTH_SIGN_OUT:
        return "sign-out"
    if path.startswith("/documents/"):
        return "document view" if bare.endswith("/view") else "document download"
    if bare == routes.ACCESS_REVIEW_EXPORT:
        return "access review export"
    if path.startswith(routes.WORKLOAD + "/export/"):
        return "workload export"
    if page_route is not None and method in ("GET", "HEAD"):
        return f"page {access.normalize_route(page_route)}"
    return None


async def _drain(receive: Receive, limit: int) -> None:
    """Read (and drop) a request's body before answering it, up to `limit` bytes: answering
    with the body unread lets the connection be reset under the client's feet."""
    seen = 0
    while seen <= limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


class HttpGuard:
    """ASGI middleware around the whole app. `page_route` maps a URL path to its page route
    (None for anything that is not a page: assets, API routes)."""

    def __init__(self, app: ASGIApp, page_route: Callable[[str], str | None]):
        self.app = app
        self.page_route = page_route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "websocket":
            if not same_origin(scope):
                log.warning("refused a cross-site websocket from %s", _header(scope, b"origin"))
                await send({"type": "websocket.close", "code": 4403})
                return
            await self.app(scope, receive, send)
            return
        if kind != "http":
            await self.app(scope, receive, send)
            return

        path = scope.get("path", "")
        method = scope.get("method", "GET")
        is_upload = path == "/_upload" or path.startswith("/_upload/")
        route = None if is_upload else self.page_route(path)
        limited = rate_limited_as(path, method, route)
        if limited is not None:
            verdict = await ratelimit.get_limiter().http(
                ratelimit.session_key(auth.read_cookie(_header(scope, b"cookie"))),
                _client_ip(scope),
            )
            if not verdict.allowed:
                await self._too_fast(scope, receive, send, limited, verdict.retry_after)
                return
        if is_upload:
            if method != "POST" or not self._staff_may_upload(scope):
                await drain(receive)
                await self._not_found(scope, _no_body, send)
                return
        elif method in ("GET", "HEAD") and route is not None:
            handled = await self._guard_page(scope, receive, send, route, path)
            if handled:
                return
        await self.app(scope, receive, _with_headers(send, scope))

    async def _too_fast(
        self, scope: Scope, receive: Receive, send: Send, what: str, retry_after: int
    ) -> None:
        """429, with Retry-After and one short line; nothing behind the guard runs."""
        await run_in_threadpool(
            record_too_fast,
            cookie=_header(scope, b"cookie"),
            ip=_client_ip(scope),
            what=what,
            kind="http",
        )
        await _drain(receive, get_settings().max_upload_bytes + 1024 * 1024)
        response = Response(
            TOO_FAST_BODY,
            status_code=429,
            media_type="text/plain",
            headers={"retry-after": str(retry_after), "cache-control": "no-store"},
        )
        await response(scope, receive, _with_headers(send, scope))

    def _staff_may_upload(self, scope: Scope) -> bool:
        if not same_origin(scope):
            return False
        resolution = resolve_cookie(_header(scope, b"cookie"), _client_ip(scope))
        actor = resolution.actor
        role = access.role_for(actor)
        if role in (access.Role.STAFF, access.Role.ADMIN):
            return True
        record_refusal(actor=actor, what="/_upload", ip=_client_ip(scope), kind="route")
        return False

    async def _guard_page(
        self, scope: Scope, receive: Receive, send: Send, route: str, path: str
    ) -> bool:
        """Refuse a page before its HTML is served. Returns True when it answered itself."""
        cookie = _header(scope, b"cookie")
        resolution = resolve_cookie(cookie, _client_ip(scope))
        actor = resolution.actor
        role = access.role_for(actor)
        stale = actor is None and resolution.problem is not SessionProblem.MISSING
        decision = access.route_decision(
            role, route, raw_path=path, reason=problem_reason(resolution)
        )
        if decision.allowed:
            if stale:
                await self.app(scope, receive, _with_headers(send, scope, clear_cookie=True))
                return True
            return False
        if decision.redirect:
            response = RedirectResponse(decision.redirect, status_code=303)
            response.headers["cache-control"] = "no-store"
            if stale:
                response.headers.append("set-cookie", cleared_cookie())
            await response(scope, receive, _with_headers(send, scope))
            return True
        record_refusal(
            actor=actor, what=access.normalize_route(route), ip=_client_ip(scope), kind="route"
        )
        await self._not_found(scope, receive, send)
        return True

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the app's own 404 page, exactly as for a path that does not exist."""
        scope = dict(scope)
        scope["path"] = "/404"
        scope["raw_path"] = b"/404"
        scope["method"] = "GET" if scope.get("method") != "HEAD" else "HEAD"
        await self.app(scope, receive, _with_headers(send, scope, force_status=404))


async def _no_body() -> dict:
    """The request as the refused route's handler sees it: its body was read already."""
    return {"type": "http.request", "body": b"", "more_body": False}


def _with_headers(
    send: Send, scope: Scope, *, clear_cookie: bool = False, force_status: int | None = None
):
    async def wrapped(message):
        if message["type"] == "http.response.start":
            headers = list(message.get("headers") or [])
            present = {k.lower() for k, _ in headers}
            strict = csp.headers(_header(scope, b"host"))
            headers.extend((k, v) for k, v in (*SECURITY_HEADERS, *strict) if k not in present)
            if clear_cookie:
                headers.append((b"set-cookie", cleared_cookie().encode("latin-1")))
            message = dict(message, headers=headers)
            if force_status is not None:
                message["status"] = force_status
        await send(message)

    return wrapped
