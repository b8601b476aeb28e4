"""Uploads and downloads, probed the way an attacker would: Reflex's public upload folder,
the upload endpoint as the wrong person or with the wrong kind of file, and the download
route signed out, cross-user, cross-firm and with path tricks."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text

from portal.db import engine_for
from portal.settings import PROJECT_ROOT
from tests.support.oracle import Oracle
from tests.support.reflex_socket import ReflexSocket, run_async

pytestmark = pytest.mark.live

UPLOAD_HANDLER = (
    "reflex___state____state.state___session____session_state.state___client____client_state.upload"
)


def raw_get(base_url: str, path: str, cookie: str = "") -> tuple[int, bytes]:
    """GET a path exactly as written: no client-side normalising of ../ or %2e."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def stored_files(live_app) -> set[str]:
    root = live_app.data_dir / "documents"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def document_count(live_app) -> int:
    with engine_for(live_app.database_url).connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM document")).scalar_one()


@pytest.mark.parametrize("who", ["signed out", "bookkeeper", "staff"])
@pytest.mark.parametrize(
    "path",
    [
        "/_upload/x.pdf",
        "/_upload/",
        "/_upload/../portal.db",
        "/_upload/%2e%2e/%2e%2e/etc/passwd",
        "/_upload//etc/passwd",
    ],
)
def test_reflexs_public_upload_folder_serves_nothing(live_app, cast, who, path):
    cookie = {"signed out": "", "bookkeeper": cast.bea, "staff": cast.sam}[who]
    status, body = raw_get(live_app.base_url, path, cookie)
    assert status == 404 and b"root:" not in body


def test_nothing_ever_lands_in_reflexs_public_upload_folder(live_app):
    public = PROJECT_ROOT / "uploaded_files"
    assert not public.exists() or not any(p.is_file() for p in public.rglob("*"))


async def _upload_from_page(
    base_url: str, cookie: str, client_id: int, files: list[tuple[str, bytes]]
) -> httpx.Response:
    """Open the client's page on the event socket (as the browser does, so the upload handler
    has its page), then post files to Reflex's upload endpoint for that tab."""
    sock = ReflexSocket(base_url, cookie=cookie)
    await sock.connect(f"/clients/{client_id}", query={"client_id": client_id})
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        response = await http.post(
            "/_upload",
            headers={
                "cookie": cookie,
                "reflex-client-token": sock.token,
                "reflex-event-handler": UPLOAD_HANDLER,
            },
            files=[("files", (name, data)) for name, data in files],
        )
    await sock.close()
    return response


def _visible_client(live_app, email: str) -> int:
    oracle = Oracle.load(live_app.database_url)
    return min(oracle.visible_clients(oracle.user_by_email(email)["id"]))


@pytest.mark.parametrize("who", ["signed out", "bookkeeper"])
def test_only_staff_reach_the_upload_endpoint(live_app, cast, who):
    cookie = {"signed out": "", "bookkeeper": cast.bea}[who]
    client_id = _visible_client(live_app, "bea@demo-practice.example")
    before_files, before_rows = stored_files(live_app), document_count(live_app)
    response = run_async(
        _upload_from_page, live_app.base_url, cookie, client_id, [("ledger.csv", b"a,b\n1,2\n")]
    )
    assert response.status_code == 404
    assert stored_files(live_app) == before_files and document_count(live_app) == before_rows


@pytest.mark.parametrize("who", ["signed out", "bookkeeper"])
def test_a_refused_upload_is_a_clean_404_however_large_the_body(live_app, cast, who):
    """The guard refuses before it has read the body. It must still read it, or a client
    that is still sending gets its connection reset instead of an answer (seen once on a busy
    machine as httpx.ReadError). A body far larger than the socket buffers makes that sure."""
    cookie = {"signed out": "", "bookkeeper": cast.bea}[who]
    client_id = _visible_client(live_app, "bea@demo-practice.example")
    before_files, before_rows = stored_files(live_app), document_count(live_app)
    big = b"a,b\n" + b"1,2\n" * (3 * 1024 * 1024)  # 12 MB
    response = run_async(
        _upload_from_page, live_app.base_url, cookie, client_id, [("big.csv", big)]
    )
    assert response.status_code == 404
    assert stored_files(live_app) == before_files and document_count(live_app) == before_rows


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("payload.exe", b"MZ\x90\x00 not a document", "not accepted"),
        ("page.html", b"<html><script>alert(1)</script></html>", "not accepted"),
        ("image.svg", b"<svg onload='alert(1)'/>", "not accepted"),
        ("invoice.pdf", b"<html><script>alert(1)</script></html>", "invoice.pdf"),
        ("photo.png", b"GIF89a not a png", "photo.png"),
        ("../../escape.csv", b"", "empty"),
    ],
)
def test_staff_uploads_outside_the_allowlist_are_refused_and_nothing_is_stored(
    live_app, cast, name, data, message
):
    client_id = _visible_client(live_app, "sam@demo-practice.example")
    before_files, before_rows = stored_files(live_app), document_count(live_app)
    response = run_async(
        _upload_from_page,
        live_app.base_url,
        cast.sam,
        client_id,
        [(name, data), ("fine.csv", b"a\n1\n")],
    )
    assert response.status_code == 200
    errors = [
        value
        for line in response.text.splitlines()
        for state in json.loads(line).get("delta", {}).values()
        for key, value in state.items()
        if key == "error_rx_state_" and value
    ]
    assert errors and message in errors[-1]
    assert stored_files(live_app) == before_files and document_count(live_app) == before_rows


def test_an_accepted_upload_is_stored_outside_the_public_folder_under_an_opaque_key(live_app, cast):
    client_id = _visible_client(live_app, "sam@demo-practice.example")
    before = stored_files(live_app)
    response = run_async(
        _upload_from_page,
        live_app.base_url,
        cast.sam,
        client_id,
        [("../../../etc/cron.d/evil.csv", b"x,y\n1,2\n")],
    )
    assert response.status_code == 200
    [new] = stored_files(live_app) - before
    assert Path(new).name.isalnum() and "evil" not in new and ".." not in new
    with engine_for(live_app.database_url).connect() as conn:
        filename = conn.execute(
            text("SELECT filename FROM document ORDER BY id DESC LIMIT 1")
        ).scalar_one()
    assert "/" not in filename and ".." not in filename and filename.endswith(".csv")


def test_downloads_probed_from_every_angle_answer_not_found(live_app, cast):
    oracle = Oracle.load(live_app.database_url)
    bea = oracle.user_by_email("bea@demo-practice.example")["id"]
    dev = oracle.user_by_email("dev@demo-practice.example")["id"]
    mine = min(d for d in oracle.documents if oracle.can_download(bea, d))
    not_devs = min(d for d in oracle.documents if not oracle.can_download(dev, d))
    other_firm = min(
        d for d, doc in oracle.documents.items() if doc["firm_id"] != oracle.users[bea]["firm_id"]
    )
    ok_status, ok_body = raw_get(live_app.base_url, f"/documents/{mine}/download", cast.bea)
    assert ok_status == 200 and ok_body
    _, not_found_body = raw_get(live_app.base_url, "/documents/999999/download", cast.bea)
    assert b"<h1>Document not available</h1>" in not_found_body
    probes = [
        ("signed out", f"/documents/{mine}/download", ""),
        ("signed out, view", f"/documents/{mine}/view", ""),
        ("cross-user", f"/documents/{not_devs}/download", cast.dev),
        ("cross-firm", f"/documents/{other_firm}/download", cast.bea),
        ("cross-firm, view", f"/documents/{other_firm}/view", cast.bea),
        ("other firm's bookkeeper", f"/documents/{mine}/download", cast.omar),
        ("dot segments", "/documents/..%2F..%2Fportal.db/download", cast.bea),
        ("encoded dots", "/documents/%2e%2e%2f%2e%2e%2fetc%2fpasswd/download", cast.bea),
        ("absolute path", "/documents//etc/passwd/download", cast.bea),
        ("absolute encoded", "/documents/%2Fetc%2Fpasswd/download", cast.bea),
        ("zero", "/documents/0/download", cast.bea),
        ("negative", "/documents/-1/download", cast.bea),
        ("exponent", "/documents/1e3/download", cast.bea),
        ("huge", f"/documents/{2**70}/download", cast.bea),
    ]
    problems = []
    for label, path, cookie in probes:
        status, body = raw_get(live_app.base_url, path, cookie)
        if status != 404 or body != not_found_body:
            problems.append(f"{label}: {status} {body[:60]!r}")
    assert problems == []
    for path in ("/documents/1/../../../etc/passwd", "/documents/../portal.db"):
        status, body = raw_get(live_app.base_url, path, cast.bea)
        assert status == 404 and b"root:" not in body and b"SQLite" not in body


def test_the_refusal_page_is_served_with_one_set_of_strict_headers(live_app, cast):
    """Through the whole app (the HTTP guard adds its headers to what lacks them), the refusal
    is an HTML page with its own strict CSP, and no header is sent twice."""
    response = httpx.get(
        f"{live_app.base_url}/documents/999999/view", headers={"Cookie": cast.bea}, timeout=10
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "Document not available" in response.text
    names = [name.lower() for name, _ in response.headers.multi_items()]
    assert sorted(set(names)) == sorted(names)
    csp = response.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
