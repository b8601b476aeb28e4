"""The Content-Security-Policy of every page the app serves, and Strict-Transport-Security.

Scripts: the app's own files ('self') and the inline scripts of the production build, each
by its SHA-256, never 'unsafe-inline'. The build (`reflex run --env prod`, `reflex export`)
writes every page as static HTML under `.web/build/client` before the backend starts serving
it; the hashes are read from those files at the first request that finds them, and kept for
the life of the process (a new build means a restart).

No 'unsafe-eval' either. Reflex runs a server-sent `rx.call_script` / `rx.call_function`
(and their callbacks, and a toast sent from the server) with `eval()` in its
`utils/state.js`; the app sends none. The server asks the browser for a named action of a
fixed table in assets/portal.js, with data only (portal/browser.py), so no string from the
server is ever run as code, and an injected one could not be.

Styles: Reflex's emotion and Radix set style elements and style attributes at run time, so
`style-src` allows 'unsafe-inline' (styles only; the issue forbids it for scripts).

The socket: in single-port mode the frontend opens ws(s)://<the page's host>/_event, so
`connect-src` is 'self' plus the ws: and wss: forms of the request's own host (and of each
PORTAL_ALLOWED_ORIGINS origin, a proxy's public URL).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from portal.settings import get_settings

log = logging.getLogger("portal.csp")

HSTS = "max-age=63072000"
# A Host header we are willing to write into the policy: a name or address and a port.
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


class _InlineScripts(HTMLParser):
    """The text of every <script> without a src, exactly as the browser hashes it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            has_src = any(name == "src" for name, _ in attrs)
            self._open = None if has_src else []

    def handle_data(self, data):
        if self._open is not None:
            self._open.append(data)

    def handle_endtag(self, tag):
        if tag == "script":
            if self._open is not None:
                self.scripts.append("".join(self._open))
            self._open = None


def inline_scripts(html: str) -> list[str]:
    parser = _InlineScripts()
    parser.feed(html)
    parser.close()
    return parser.scripts


def script_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def build_hashes(directory: Path) -> frozenset[str]:
    """The hash sources of every inline script in every page of a built frontend."""
    found: set[str] = set()
    for page in sorted(directory.rglob("*.html")):
        try:
            html = page.read_text(encoding="utf-8")
        except OSError:
            continue
        found.update(script_hash(text) for text in inline_scripts(html))
    return frozenset(found)


def build_directory() -> Path:
    """Where the production build's pages are (.web/build/client, or REFLEX_WEB_WORKDIR's)."""
    from reflex.utils import prerequisites
    from reflex_base import constants

    return prerequisites.get_web_dir() / constants.Dirs.STATIC


_lock = threading.Lock()
_hashes: frozenset[str] | None = None


def built_script_hashes() -> frozenset[str]:
    """The build's script hashes, read once the build exists, then kept."""
    global _hashes
    if _hashes is not None:
        return _hashes
    with _lock:
        if _hashes is None:
            hashes = build_hashes(build_directory())
            if not hashes:
                # No build yet (or a dev server): nothing inline is allowed; look again later.
                return hashes
            log.info("content security policy: %d inline script hashes", len(hashes))
            _hashes = hashes
    return _hashes


def forget_hashes() -> None:
    """Read the build again at the next request (tests)."""
    global _hashes
    _hashes = None


def _socket_sources(host: str) -> list[str]:
    sources = []
    if host and _HOST.match(host):
        sources += [f"ws://{host}", f"wss://{host}"]
    for origin in sorted(get_settings().allowed_origins):
        scheme, _, rest = origin.partition("://")
        if scheme in ("http", "https") and _HOST.match(rest):
            sources.append(f"{'wss' if scheme == 'https' else 'ws'}://{rest}")
    return sources


def policy(host: str, hashes: Iterable[str] | None = None) -> str:
    """The page policy for a request to `host` (its Host header)."""
    scripts = sorted(built_script_hashes() if hashes is None else hashes)
    directives = [
        "default-src 'self'",
        " ".join(["script-src 'self'", *scripts]),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        " ".join(["connect-src 'self'", *_socket_sources(host)]),
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


@lru_cache(maxsize=64)
def _encoded(host: str, hashes: frozenset[str], origins: frozenset[str]) -> bytes:
    return policy(host, hashes).encode("latin-1")


def headers(host: str) -> list[tuple[bytes, bytes]]:
    """The CSP for this host, and HSTS when the app is served over HTTPS (the switch of the
    Secure cookie, PORTAL_COOKIE_SECURE)."""
    settings = get_settings()
    value = _encoded(host, built_script_hashes(), settings.allowed_origins)
    out = [(b"content-security-policy", value)]
    if settings.cookie_secure:
        out.append((b"strict-transport-security", HSTS.encode("latin-1")))
    return out
