"""The access review's CSV download, in process, with sessions opened by signing in for real:
what an admin gets (a streamed file a spreadsheet opens safely, named by its filters), and
what everyone else gets (the same 404, whatever the reason)."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from sqlmodel import select

from models import AuditEvent
from portal import routes
from portal.http import routes_app
from portal.services import access_review
from tests import test_download_route
from tests.factories import make_client, make_filing, make_step, open_session
from tests.support.access_history import build_history
from tests.support.aio import run_sync

# The document routes' in-process client and session cookie, for this route beside them.
http, cookie = test_download_route.http, test_download_route.cookie
HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.fixture
def history(session, world, monkeypatch):
    return build_history(session, world, monkeypatch)


@pytest.fixture
def admin(session, world) -> dict[str, str]:
    return cookie(open_session(session, world.admin))


def url(**filters) -> str:
    return routes.access_review_export(**filters)


def rows_of(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def test_an_admin_downloads_who_could_open_a_client_between_two_days(http, world, history, admin):
    response = http.get(
        url(view="between", client=world.client.id, start="2026-03-01", end="2026-04-30"),
        headers=admin,
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="access-between-maple-leaf-cafe-inc-2026-03-01-2026-04-30.csv"; '
        "filename*=UTF-8''access-between-maple-leaf-cafe-inc-2026-03-01-2026-04-30.csv"
    )
    assert response.headers["cache-control"] == "private, no-store"
    assert rows_of(response) == [
        list(access_review.HEADER),
        [
            "Dev Books",
            "Maple Leaf Cafe Inc.",
            "Enter Q2 bank transactions",
            "GST/HST Q2 2026",
            "2026-03-03 10:02:00",
            "assigned “Enter Q2 bank transactions” by Sam Staff",
            "2026-04-30 16:40:00",
            "filing GST/HST Q2 2026 filed by Sam Staff",
        ],
    ]


def test_a_formula_in_a_client_name_arrives_as_text(session, http, world, admin):
    """A client named like a formula, with a bookkeeper on it: every view's CSV quotes it."""
    trap = make_client(session, world.firm, HYPERLINK)
    tabbed = make_client(session, world.firm, "\tTabbed Holdings")
    for client in (trap, tabbed):
        make_step(session, make_filing(session, client), world.bk1, title="@SUM(A1:A2)")
    session.commit()
    body = rows_of(http.get(url(view="now"), headers=admin))
    cells = {cell for row in body[1:] for cell in row}
    assert "'" + HYPERLINK in cells and "'@SUM(A1:A2)" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    # The names in the file's name are reduced to plain letters and hyphens.
    named = http.get(url(view="history", client=trap.id), headers=admin)
    assert named.headers["content-disposition"].startswith(
        'attachment; filename="access-history-hyperlink-http-x-y.csv"'
    )


def test_an_accented_name_survives_in_the_file_and_its_name(session, http, world, admin):
    cafe = make_client(session, world.firm, "Café Olé ☕ Ltée")
    make_step(session, make_filing(session, cafe), world.bk2, title="Relevés")
    session.commit()
    response = http.get(url(view="now", client=cafe.id), headers=admin)
    assert 'filename="access-now-cafe-ole-ltee.csv"' in response.headers["content-disposition"]
    assert rows_of(response)[1][:3] == ["Dev Books", "Café Olé ☕ Ltée", "Relevés"]


def test_the_file_is_streamed_a_batch_at_a_time(session, world, history, admin, monkeypatch):
    """Straight at the ASGI app: the body arrives as several messages, the header first."""
    monkeypatch.setattr(access_review, "EXPORT_BATCH", 1)
    path, _, query = url(view="history", person=world.bk2.id).partition("?")
    bodies: list[bytes] = []
    started: dict = {}

    sent = []

    async def receive():
        """The request once; then a client that stays connected until the file is done."""
        if not sent:
            sent.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()

    async def send(message):
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            bodies.append(message.get("body", b""))

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(k.encode(), v.encode()) for k, v in admin.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "scheme": "http",
        "root_path": "",
        "http_version": "1.1",
    }
    run_sync(routes_app()(scope, receive, send))
    assert started["status"] == 200
    assert len([b for b in bodies if b]) >= 4  # the header, then the three periods one by one
    text = b"".join(bodies).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text, newline="")))) == 4


def test_every_refusal_is_the_same_404(session, http, world, history):
    staff = cookie(open_session(session, world.staff))
    bookkeeper = cookie(open_session(session, world.bk1))
    admin = cookie(open_session(session, world.admin))
    answers = [
        http.get(url(view="now"), headers=staff),
        http.get(url(view="now"), headers=bookkeeper),
        http.get(url(view="now")),  # signed out
        http.get(url(view="now"), headers=cookie("not-a-session")),
        http.get(url(view="history", client=world.outsider_client.id), headers=admin),
        http.get(url(view="history", client=987654), headers=admin),
        http.get(url(view="history", person=world.outsider.id), headers=admin),
    ]
    assert {(a.status_code, a.content, a.headers["content-type"]) for a in answers} == {
        (404, b"Not found.\n", "text/plain; charset=utf-8")
    }
    refused = session.exec(
        select(AuditEvent.actor_id).where(
            AuditEvent.outcome == "refused", AuditEvent.detail.contains("/audit/access/export")
        )
    ).all()
    assert {world.staff.id, world.bk1.id} <= set(refused)
    exported = session.exec(
        select(AuditEvent).where(AuditEvent.action == "access_review_exported")
    ).all()
    assert exported == []


def test_bad_filters_get_a_message_and_no_file(http, world, history, admin):
    response = http.get(
        url(view="between", client=world.client.id, start="2026-04-30", end="2026-03-01"),
        headers=admin,
    )
    assert response.status_code == 400
    assert response.text.startswith("From (Apr 30, 2026) is after To (Mar 1, 2026)")
    assert "content-disposition" not in response.headers
