"""The not-found page keeps the signed-in person's header and a way back to their landing
page, whether the page was refused by route (a bookkeeper typing /clients) or its record is
missing or out of scope; a signed-out visitor gets the plain page with a link to sign in."""

from __future__ import annotations

import pytest
from reflex.state import OnLoadInternalState, State
from reflex_base.constants import RouteVar
from reflex_base.event import Event

import portal.portal  # noqa: F401  (registers every page and state)
from portal import auth
from portal.boundary import PortalBoundary
from portal.services import sessions
from state.client import ClientState
from state.session import SessionState
from tests.factories import make_firm, make_user, open_session
from tests.support.aio import run_sync
from tests.support.handlers import page_state


@pytest.fixture
def people(session, monkeypatch):
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    firm = make_firm(session, "Header Firm")
    admin = make_user(session, firm, "admin", email="admin@header.example", name="Ada Admin")
    staff = make_user(session, firm, "staff", email="staff@header.example", name="Sam Staff")
    bookkeeper = make_user(session, firm, "bookkeeper", email="bk@header.example", name="Bea Books")
    session.commit()
    return admin, staff, bookkeeper


def open_page(path: str, cookie: str) -> SessionState:
    """A fresh tab typing `path`: its on-load event through the boundary, as Reflex sends
    it (the page's own load handlers run only when the boundary lets the page open)."""
    root = State(_reflex_internal_init=True)
    router_data = {
        RouteVar.PATH: path,
        RouteVar.ORIGIN: path,
        RouteVar.CLIENT_IP: "127.0.0.1",
        RouteVar.HEADERS: {"cookie": cookie},
        RouteVar.CLIENT_TOKEN: "tab-header",
    }
    root.router_data = root._update_router_vars(router_data, {})
    event = Event(name=f"{OnLoadInternalState.get_full_name()}.on_load_internal", payload={})
    run_sync(PortalBoundary(page_root=SessionState).preprocess(None, root, event))
    return root.get_substate(SessionState.get_full_name().split(".")[1:])


def cookie_for(session, user) -> str:
    token = open_session(session, user)
    session.commit()
    return f"{auth.SESSION_COOKIE}={token}"


@pytest.mark.parametrize(
    ("who", "path", "nav", "role", "back"),
    [
        ("bookkeeper", "/clients", ["My tasks"], "Bookkeeper", ("Back to My Tasks", "/tasks")),
        ("bookkeeper", "/audit", ["My tasks"], "Bookkeeper", ("Back to My Tasks", "/tasks")),
        (
            "staff",
            "/settings",
            ["Home", "Clients", "Staff", "Templates", "Workload"],
            "Staff",
            ("Back to home", "/"),
        ),
        (
            "admin",
            "/tasks",
            [
                "Home",
                "Clients",
                "Staff",
                "Templates",
                "Workload",
                "Bookkeepers",
                "Settings",
                "Audit log",
            ],
            "Admin",
            ("Back to home", "/"),
        ),
    ],
)
def test_a_page_refused_by_route_keeps_the_header(session, people, who, path, nav, role, back):
    admin, staff, bookkeeper = people
    user = {"admin": admin, "staff": staff, "bookkeeper": bookkeeper}[who]
    page = open_page(path, cookie_for(session, user))
    assert page.page_status == "not_found"
    assert [item["label"] for item in page.nav] == nav
    assert (page.role_label, page.user_name, page.firm_name) == (role, user.name, "Header Firm")
    assert page.account_href == "/account"
    assert (page.landing_label, page.landing_href) == back


def test_the_header_is_the_same_as_for_a_record_out_of_scope(session, people):
    """Refused by route and out of scope look alike: the same header, the same way back."""
    _, _, bookkeeper = people
    refused = open_page("/clients", cookie_for(session, bookkeeper))
    token = cookie_for(session, bookkeeper).split("=", 1)[1]
    auth.set_acting(sessions.resolve(session=session, token=token).actor)
    client_page = page_state(ClientState)
    header = client_page.parent_state
    header._fill_header()
    client_page._not_found()
    fields = ("nav", "role_label", "user_name", "firm_name", "landing_label", "landing_href")
    assert {f: getattr(refused, f) for f in fields} == {f: getattr(header, f) for f in fields}
    assert header.page_status == refused.page_status == "not_found"


def test_signed_out_gets_the_plain_page_with_a_link_to_sign_in(session, people):
    page = open_page("/404", "")
    assert page.role_label == "" and page.nav == []
    assert (page.landing_label, page.landing_href) == ("Sign in", "/login")


def test_an_allowed_page_is_not_marked_not_found(session, people):
    _, _, bookkeeper = people
    page = open_page("/tasks", cookie_for(session, bookkeeper))
    assert page.page_status == "ok"
