"""Fault injection: when the scope check or the session lookup itself fails, the request is
refused, never allowed, and the failure is logged.

The scope conditions are made to raise wherever they are used. An attacker who can make the
database hiccup (a lock timeout, a dropped connection) must get no data out of it: services
raise, the download route answers exactly like a missing document, and the boundary treats
the request as signed out.
"""

from __future__ import annotations

import io
import logging
import sys
import warnings

import pytest
from sqlmodel import select

with warnings.catch_warnings():
    # The project pins httpx, not httpx2; Starlette's nudge toward the latter is not news here.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from models import AuditEvent
from portal.auth import SESSION_COOKIE
from portal.boundary import resolve_cookie
from portal.http import routes_app
from portal.services import (
    clients,
    documents,
    filings,
    runner,
    scope,
    sessions,
    steps,
    tasks,
)
from portal.services.documents import IncomingFile
from tests.factories import (
    actor_for,
    make_client,
    make_filing,
    make_firm,
    make_step,
    make_user,
    open_session,
)

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class ScopeDown(RuntimeError):
    """What the injected fault raises, so the test can tell it from any other error."""


def break_scope(monkeypatch, name: str) -> list[str]:
    """Make one scope condition raise everywhere it is used: in `portal.services.scope` and
    in every module that imported it by name (documents and emails do)."""
    original = getattr(scope, name)

    def failing(*args, **kwargs):
        raise ScopeDown(f"the scope query failed ({name})")

    patched = []
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("portal") and vars(module).get(name) is original:
            monkeypatch.setattr(module, name, failing)
            patched.append(module_name)
    assert "portal.services.scope" in patched
    return patched


@pytest.fixture
def world(session):
    firm = make_firm(session, "Alpha")
    staff = make_user(session, firm, "staff")
    bookkeeper = make_user(session, firm, "bookkeeper")
    client = make_client(session, firm, "Maple Bakery")
    filing = make_filing(session, client)
    step = make_step(session, filing, bookkeeper, title="Enter Q1 bank transactions")
    document = documents.upload_documents(
        session=session,
        actor=actor_for(staff),
        client_id=client.id,
        files=[IncomingFile("statement.pdf", io.BytesIO(PDF))],
    )[0]
    session.commit()
    return {
        "staff": staff,
        "bookkeeper": bookkeeper,
        "client": client,
        "filing": filing,
        "step": step,
        "document": document,
    }


# (scope condition broken, service, its arguments from the world, what a success returns)
SERVICE_CASES = [
    ("client_id_visible", clients.get_client, lambda w: {"client_id": w["client"].id}),
    ("client_id_visible", clients.client_filings, lambda w: {"client_id": w["client"].id}),
    ("client_id_visible", filings.get_filing, lambda w: {"filing_id": w["filing"].id}),
    ("client_id_visible", documents.open_document, lambda w: {"document_id": w["document"].id}),
    ("step_visible", steps.get_step, lambda w: {"step_id": w["step"].id}),
    ("step_visible", tasks.my_tasks, lambda w: {}),
    ("step_visible", clients.client_filings, lambda w: {"client_id": w["client"].id}),
]


@pytest.mark.parametrize("role", ["bookkeeper", "staff"])
@pytest.mark.parametrize(
    ("broken", "service", "arguments"),
    SERVICE_CASES,
    ids=[f"{broken}-{service.__name__}" for broken, service, _ in SERVICE_CASES],
)
def test_a_failing_scope_check_refuses_the_service_call(
    session, world, monkeypatch, role, broken, service, arguments
):
    actor = actor_for(world[role])
    kwargs = arguments(world)
    # Control: in scope, the call answers with data.
    answer = runner.perform(service, actor=actor, **kwargs)
    if service is tasks.my_tasks and role == "bookkeeper":
        assert [row.step_id for row in answer.rows] == [world["step"].id]
    else:
        assert answer

    break_scope(monkeypatch, broken)
    with pytest.raises(ScopeDown):
        runner.perform(service, actor=actor, **kwargs)


def test_every_module_that_imported_the_scope_condition_is_reached(monkeypatch):
    """A fault injected only into `scope` would miss the modules that hold their own name
    for it, and the route tests below would prove nothing for documents."""
    patched = break_scope(monkeypatch, "client_id_visible")
    assert {"portal.services.documents", "portal.services.emails"} <= set(patched)


# -- the download route ---------------------------------------------------------------------


def cookie(token: str) -> dict[str, str]:
    return {"cookie": f"{SESSION_COOKIE}={token}"}


@pytest.fixture
def http():
    # A 500 must show up as a response here, not as an exception in the test.
    with TestClient(routes_app(), raise_server_exceptions=False) as client:
        yield client


def refusals(session, what: str) -> int:
    session.expire_all()
    return len(
        session.exec(
            select(AuditEvent).where(AuditEvent.action == "refused", AuditEvent.detail == what)
        ).all()
    )


def logged_failure(caplog, logger: str, error: type[BaseException]) -> bool:
    return any(
        record.name == logger
        and record.levelno >= logging.ERROR
        and record.exc_info is not None
        and isinstance(record.exc_info[1], error)
        for record in caplog.records
    )


@pytest.mark.parametrize("role", ["bookkeeper", "staff"])
@pytest.mark.parametrize("route", ["download", "view"])
def test_a_failing_scope_check_on_a_document_reads_as_not_found(
    session, world, http, monkeypatch, caplog, role, route
):
    token = open_session(session, world[role])
    document = world["document"]
    url = document.download_url if route == "download" else document.view_url
    # Control: the document is in scope, and an id that does not exist is the reference 404.
    served = http.get(url, headers=cookie(token))
    assert served.status_code == 200 and served.content == PDF
    missing = http.get(f"/documents/999999/{route}", headers=cookie(token))
    assert missing.status_code == 404

    break_scope(monkeypatch, "client_id_visible")
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        response = http.get(url, headers=cookie(token))

    assert response.status_code == 404
    assert response.content == missing.content
    assert "Document not available" in response.text
    assert dict(response.headers) == dict(missing.headers)
    assert PDF not in response.content
    assert logged_failure(caplog, "portal.http", ScopeDown)
    assert refusals(session, f"document {document.id}") == 1


# -- the boundary: the session lookup itself fails -------------------------------------------


@pytest.mark.parametrize("role", ["bookkeeper", "staff"])
def test_a_failing_session_lookup_is_signed_out_and_logged(
    session, world, http, monkeypatch, caplog, role
):
    token = open_session(session, world[role])
    header = f"{SESSION_COOKIE}={token}"
    # Control: the session resolves to the person, and the document downloads.
    assert resolve_cookie(header, "127.0.0.1").actor.user_id == world[role].id
    url = world["document"].download_url
    assert http.get(url, headers=cookie(token)).status_code == 200
    signed_out = http.get(url)

    class LookupDown(RuntimeError):
        pass

    def failing(**kwargs):
        raise LookupDown("the session store is unavailable")

    monkeypatch.setattr(sessions, "resolve", failing)
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        resolution = resolve_cookie(header, "127.0.0.1")
        response = http.get(url, headers=cookie(token))

    assert resolution.actor is None
    assert logged_failure(caplog, "portal.boundary", LookupDown)
    # Signed out: the download gets the very answer an anonymous request gets.
    assert response.status_code == 404
    assert response.text == signed_out.text
    assert dict(response.headers) == dict(signed_out.headers)
    assert PDF not in response.content


# -- the second factor the firm requires ------------------------------------------------------


@pytest.mark.parametrize("role", ["bookkeeper", "staff"])
def test_a_person_who_must_enrol_gets_no_document_and_no_export(session, world, http, role):
    """The policy applies between two requests: the very next download is refused, exactly
    as a document out of scope, and recorded."""
    from models import Firm

    token = open_session(session, world[role])
    url = world["document"].download_url
    assert http.get(url, headers=cookie(token)).status_code == 200
    firm = session.get(Firm, world[role].firm_id)
    firm.mfa_bookkeepers = firm.mfa_staff = True
    session.add(firm)
    session.commit()
    header = f"{SESSION_COOKIE}={token}"
    assert resolve_cookie(header, "127.0.0.1").actor.must_enrol
    missing = http.get("/documents/999999/download", headers=cookie(token))
    response = http.get(url, headers=cookie(token))
    assert response.status_code == 404 and response.text == missing.text
    assert PDF not in response.content
    assert refusals(session, f"document {world['document'].id}") == 1
    assert http.get("/audit/access/export", headers=cookie(token)).status_code in (403, 404)
