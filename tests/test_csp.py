"""The page policy: script hashes read from the built pages, no 'unsafe-inline' for scripts,
the socket of the app's own host only, HSTS exactly when the cookie is Secure, and a response
with a policy of its own (a document view) keeps it."""

from __future__ import annotations

import base64
import hashlib
import warnings

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

with warnings.catch_warnings():
    # The project pins httpx, not httpx2; Starlette's nudge toward the latter is not news here.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from portal import csp
from portal.http import HttpGuard
from portal.settings import get_settings

PAGE = """<!DOCTYPE html><html><head>
<script>window.__one = 1;</script>
<script src="/submit_once.js"></script>
<script type="module" async="">import "/assets/a.js";
window.__two = "</b>";</script>
</head><body><script id="_R_">$RC("B:1","S:1")</script></body></html>"""


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.fixture
def built(tmp_path, monkeypatch):
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "login").mkdir()
    (tmp_path / "login" / "index.html").write_text("<script>window.__three = 3</script>")
    monkeypatch.setattr(csp, "build_directory", lambda: tmp_path)
    csp.forget_hashes()
    yield tmp_path
    csp.forget_hashes()


def _directives(header: str) -> dict[str, str]:
    return {d.strip().split(" ", 1)[0]: d.strip() for d in header.split(";")}


def test_every_inline_script_of_every_built_page_is_hashed_and_nothing_else(built):
    assert csp.built_script_hashes() == {
        sha("window.__one = 1;"),
        sha('import "/assets/a.js";\nwindow.__two = "</b>";'),
        sha('$RC("B:1","S:1")'),
        sha("window.__three = 3"),
    }


def test_script_src_allows_own_files_and_hashes_never_unsafe_inline_nor_eval(built):
    script_src = _directives(csp.policy("portal.example:3000"))["script-src"]
    assert script_src.startswith("script-src 'self' 'sha256-")
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "unsafe" not in script_src
    assert sha("window.__three = 3") in script_src
    assert "*" not in script_src and "http" not in script_src


def test_the_rest_of_the_policy(built):
    header = csp.policy("portal.example:3000")
    d = _directives(header)
    assert d["default-src"] == "default-src 'self'"
    assert d["connect-src"] == (
        "connect-src 'self' ws://portal.example:3000 wss://portal.example:3000"
    )
    assert d["frame-ancestors"] == "frame-ancestors 'none'"
    assert d["object-src"] == "object-src 'none'"
    assert d["base-uri"] == "base-uri 'self'"
    assert d["form-action"] == "form-action 'self'"
    assert d["style-src"] == "style-src 'self' 'unsafe-inline'"


@pytest.mark.parametrize("host", ["evil.example; script-src *", "a b", "x'y", ""])
def test_a_strange_host_header_adds_no_socket_source(built, host):
    assert _directives(csp.policy(host))["connect-src"] == "connect-src 'self'"


def test_a_proxys_public_origin_may_carry_the_socket(built, monkeypatch):
    monkeypatch.setenv("PORTAL_ALLOWED_ORIGINS", "https://books.firm.example")
    get_settings.cache_clear()
    try:
        connect = _directives(csp.policy("127.0.0.1:3000"))["connect-src"]
    finally:
        get_settings.cache_clear()
    assert connect.endswith("wss://books.firm.example")


def test_without_a_build_no_inline_script_is_allowed_and_it_is_looked_for_again(built):
    for page in built.rglob("*.html"):
        page.unlink()
    assert "sha256" not in csp.policy("localhost")
    (built / "index.html").write_text(PAGE)
    assert sha("window.__one = 1;") in csp.policy("localhost")


def _app() -> TestClient:
    async def page(request):
        return HTMLResponse("<p>page</p>")

    async def sandboxed(request):
        return HTMLResponse("<p>doc</p>", headers={"content-security-policy": "sandbox"})

    inner = Starlette(routes=[Route("/page", page), Route("/documents/1/view", sandboxed)])
    return TestClient(HttpGuard(inner, lambda path: None), base_url="http://portal.test")


@pytest.mark.parametrize(("secure", "hsts"), [("false", False), ("true", True)])
def test_the_guard_sends_the_policy_and_hsts_only_over_https(built, monkeypatch, secure, hsts):
    monkeypatch.setenv("PORTAL_COOKIE_SECURE", secure)
    get_settings.cache_clear()
    try:
        response = _app().get("/page")
    finally:
        get_settings.cache_clear()
    header = response.headers["content-security-policy"]
    assert sha("window.__one = 1;") in header
    assert "ws://portal.test" in header
    assert ("strict-transport-security" in response.headers) is hsts
    if hsts:
        assert response.headers["strict-transport-security"] == csp.HSTS
    assert response.headers["x-frame-options"] == "DENY"


def test_a_response_with_its_own_policy_keeps_it(built):
    response = _app().get("/documents/1/view")
    assert response.headers.get_list("content-security-policy") == ["sandbox"]
