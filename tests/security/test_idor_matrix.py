"""The IDOR matrix: two bookkeepers, a staff member and a signed-out visitor, against every
record of the demo firm and of a second firm, through every page route, load event and
download URL. The expected answer comes from the plain-Python oracle of DESIGN.md's rule;
every mismatch is printed as a table row.
"""

from __future__ import annotations

import httpx
import pytest

from tests.security.conftest import SECURITY_FIRMS
from tests.support.oracle import Oracle
from tests.support.reflex_socket import ReflexSocket, run_async

pytestmark = pytest.mark.live

SESSION = "reflex___state____state.state___session____session_state"
PAGES = {
    # route, page state, route parameter, the var holding the record, the record's table
    "client": (
        "/clients/{id}",
        "state___client____client_state",
        "client_id",
        "info",
        "name",
        "clients",
    ),
    "task": ("/tasks/{id}", "state___task____task_state", "step_id", "step", "title", "steps"),
    "filing": (
        "/filings/{id}",
        "state___filing____filing_state",
        "filing_id",
        "filing",
        "id",
        "filings",
    ),
    # A CSV or text document's in-app preview: the download's scope, for those types only.
    "preview": (
        "/documents/{id}",
        "state___document_preview____document_preview_state",
        "document_id",
        "preview",
        "filename",
        "documents",
    ),
}
PREVIEWED = ("text/csv", "text/plain")


def _loaded(updates, state: str, var: str, field: str):
    """The record the page state received in answer to its load, if any."""
    for update in updates:
        values = update.delta.get(f"{SESSION}.{state}", {})
        record = values.get(f"{var}_rx_state_")
        if isinstance(record, dict) and record.get(field):
            return record[field]
    return None


async def _probe_pages(base_url: str, cookie: str, oracle: Oracle):
    observed = {}
    sock = ReflexSocket(base_url, cookie=cookie)
    await sock.connect("/tasks" if cookie else "/login")
    for kind, (route, state, param, var, field, table) in PAGES.items():
        handler = f"{SESSION}.{state}.load"
        for record_id, row in getattr(oracle, table).items():
            updates = await sock.call(
                handler, {}, path=route.format(id=record_id), query={param: record_id}
            )
            got = _loaded(updates, state, var, field)
            observed[(kind, record_id)] = got is not None and got == row[field]
    await sock.close()
    return observed


def _expected(oracle: Oracle, user_id: int | None, kind: str, record_id: int) -> bool:
    if kind == "client":
        return oracle.can_open_client(user_id, record_id)
    if kind == "task":
        return oracle.can_open_step(user_id, record_id)
    if kind == "filing":
        return oracle.can_open_filing_page(user_id, record_id)
    if kind == "download":
        return oracle.can_download(user_id, record_id)
    if kind == "preview":
        previewed = oracle.documents[record_id]["content_type"] in PREVIEWED
        return previewed and oracle.can_download(user_id, record_id)
    raise AssertionError(kind)


def _route_status(role: str, route: str) -> int:
    """What the HTTP guard answers for a page URL: it judges the route, not the record."""
    if role == "signed out":
        return 303
    allowed = {
        "bookkeeper": {"/clients/{id}", "/tasks/{id}", "/documents/{id}"},
        "staff": {"/clients/{id}", "/filings/{id}", "/documents/{id}"},
    }[role]
    return 200 if route in allowed else 404


def test_idor_matrix(live_app, cast):
    oracle = Oracle.load(live_app.database_url).of_firms(SECURITY_FIRMS)
    actors = {
        "bookkeeper A (Bea)": (
            "bookkeeper",
            cast.bea,
            oracle.user_by_email("bea@demo-practice.example")["id"],
        ),
        "bookkeeper B (Dev)": (
            "bookkeeper",
            cast.dev,
            oracle.user_by_email("dev@demo-practice.example")["id"],
        ),
        "staff (Sam)": ("staff", cast.sam, oracle.user_by_email("sam@demo-practice.example")["id"]),
        "signed out": ("signed out", "", None),
    }
    assert len({c["firm_id"] for c in oracle.clients.values()}) >= 2, "needs two firms"
    mismatches = []
    checks = 0
    granted = dict.fromkeys(actors, 0)
    for label, (role, cookie, user_id) in actors.items():
        observed = run_async(_probe_pages, live_app.base_url, cookie, oracle)
        for (kind, record_id), got in observed.items():
            checks += 1
            want = _expected(oracle, user_id, kind, record_id)
            granted[label] += want
            if got != want:
                mismatches.append((label, kind, record_id, want, got))
        headers = {"cookie": cookie} if cookie else {}
        with httpx.Client(base_url=live_app.base_url, headers=headers, timeout=10) as http:
            for document_id in oracle.documents:
                checks += 1
                got = http.get(f"/documents/{document_id}/download").status_code == 200
                want = _expected(oracle, user_id, "download", document_id)
                if got != want:
                    mismatches.append((label, "download", document_id, want, got))
            for route, _, _, _, _, table in PAGES.values():
                for record_id in list(getattr(oracle, table))[:5]:
                    checks += 1
                    status = http.get(route.format(id=record_id)).status_code
                    if status != _route_status(role, route):
                        mismatches.append(
                            (label, f"GET {route}", record_id, _route_status(role, route), status)
                        )
    table = "\n".join(
        f"{who:<22} {what:<18} {rid:>6}   expected {want!s:<6} got {got!s}"
        for who, what, rid, want, got in mismatches
    )
    print(f"\n{checks} checks, {len(mismatches)} mismatches\n{table}")
    assert mismatches == [], f"access differs from the rule:\n{table}"
    # Not vacuous: each signed-in actor really opens some records, the visitor none.
    assert all(granted[label] > 0 for label in actors if label != "signed out"), granted
    assert granted["signed out"] == 0
