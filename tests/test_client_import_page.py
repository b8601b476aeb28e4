"""The import page's state against a real database: the upload is kept server side (never in
Reflex's public folder), the preview follows the person's mapping and duplicate choice, the
import shows its progress and its summary, and a second click of the same import writes
nothing more."""

from __future__ import annotations

import io
from pathlib import Path

import reflex as rx
from sqlalchemy import func
from sqlmodel import select

from models import Client
from portal import auth
from portal.services import client_import
from portal.settings import PROJECT_ROOT, get_settings
from state.client_import import ClientImportState
from tests.support.handlers import page_state, run_handler

CSV = (
    "Company,Business No.,E-mail,Fax\n"
    "Harbour Fisheries Ltd.,123456789RT0001,ops@harbour.example,555-0100\n"
    "maple leaf cafe INC.,,new@maple.example,\n"
    "Bad Row Co.,,not-an-email,\n"
)


def upload_file(data: bytes, name: str = "clients.csv") -> rx.UploadFile:
    return rx.UploadFile(file=io.BytesIO(data), path=Path(name))


def page(session, world, user):
    actor = world.actor(session, user)
    session.commit()
    auth.set_acting(actor)
    state = page_state(ClientImportState)
    run_handler(state, "load")
    state.submit_token = "token-1"
    return state


def count_clients(session, world) -> int:
    session.expire_all()
    return session.exec(
        select(func.count()).select_from(Client).where(Client.firm_id == world.firm.id)
    ).one()


def test_upload_preview_adjust_and_import(session, world):
    state = page(session, world, world.staff)
    before = count_clients(session, world)
    run_handler(state, "begin_upload", token="token-1")
    run_handler(state, "upload", files=[upload_file(CSV.encode())])
    assert state.error == "" and state.stage == "preview"
    # Kept under the data folder, by a key only the server-side state holds.
    stashed = get_settings().data_dir / "imports" / state._stash
    assert stashed.read_bytes() == CSV.encode()
    public = PROJECT_ROOT / "uploaded_files"
    assert not public.exists() or not any(p.is_file() for p in public.rglob("*"))
    assert [c.field for c in state.columns] == ["name", "business_number", "contact_email", ""]
    assert (state.rows, state.new, state.duplicates, state.error_rows) == (3, 1, 1, 1)
    assert state.counts == [
        "3 rows in clients.csv",
        "1 new client to create",
        "1 row matches a client you already have",
        "0 rows repeat an earlier row of the file",
        "1 row with errors (not imported)",
    ]
    assert state.errors == [
        "Row 4: Contact email must be a valid email address, like name@example.com."
    ]

    # The fax column taken as the phone; duplicates updated instead of skipped.
    run_handler(state, "set_mapping", index=3, value="phone")
    assert [c.field for c in state.columns][3] == "phone"
    run_handler(state, "choose_duplicates", value="update")
    assert state.duplicate_rows[0].outcome == "updates Maple Leaf Cafe Inc."

    # Rows with errors: nothing is imported until the person says to skip them.
    run_handler(state, "run_import", token=state.submit_token)
    assert "1 row has errors, so nothing was imported" in state.error
    assert count_clients(session, world) == before
    run_handler(state, "set_skip_errors", checked=True)
    token = state.submit_token
    run_handler(state, "run_import", token=token)
    assert state.error == "" and state.stage == "done"
    assert state.progress == 100
    assert state.summary.startswith("1 client created, 1 updated")
    assert count_clients(session, world) == before + 1
    harbour = session.exec(select(Client).where(Client.name == "Harbour Fisheries Ltd.")).one()
    assert harbour.phone == "555-0100" and harbour.firm_id == world.firm.id
    # The file is gone once imported.
    assert not stashed.exists() and state._stash == ""

    # The same click arriving again runs nothing.
    state.stage = "preview"
    state._stash = client_import.stash(io.BytesIO(CSV.encode()))
    state._name = "clients.csv"
    run_handler(state, "run_import", token=token)
    assert count_clients(session, world) == before + 1


def test_a_file_too_large_or_unreadable_is_refused_with_nothing_kept(session, world):
    state = page(session, world, world.admin)
    run_handler(state, "begin_upload", token="token-1")
    big = b"Client name\n" + b"x" * client_import.MAX_BYTES
    run_handler(state, "upload", files=[upload_file(big)])
    assert "larger than 5 MB" in state.error and state.stage == "choose"
    assert state._stash == ""
    run_handler(state, "begin_upload", token=state.submit_token)
    run_handler(state, "upload", files=[upload_file("Client name\nZoë\n".encode("cp1252"))])
    assert "Save it as CSV UTF-8" in state.error
    assert state.stage == "choose" and state._stash == ""


def test_the_import_route_is_staff_only_and_wins_over_a_client_id():
    from portal import access, routes

    assert routes.match("/clients/import") == routes.CLIENT_IMPORT
    assert routes.match("/clients/import/") == routes.CLIENT_IMPORT
    assert routes.match("/clients/12") == routes.CLIENT
    for role in (access.Role.STAFF, access.Role.ADMIN):
        assert access.route_decision(role, routes.CLIENT_IMPORT).allowed
    # A bookkeeper is shown "not found", as for any page not theirs.
    refused = access.route_decision(access.Role.BOOKKEEPER, routes.CLIENT_IMPORT)
    assert not refused.allowed and refused.redirect is None
    handler = "state.client_import.ClientImportState.run_import"
    assert access.event_allowed(access.Role.STAFF, handler)
    assert not access.event_allowed(access.Role.BOOKKEEPER, handler)
