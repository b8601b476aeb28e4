"""The route half of layer 1: who may open which page, and where the rest are sent."""

from __future__ import annotations

import pytest

from portal import access, routes
from portal.access import Role

SIGNED_OUT, BK, STAFF, ADMIN = Role.SIGNED_OUT, Role.BOOKKEEPER, Role.STAFF, Role.ADMIN


@pytest.mark.parametrize(
    ("role", "route", "allowed"),
    [
        (SIGNED_OUT, routes.LOGIN, True),
        (SIGNED_OUT, routes.TASKS, False),
        (BK, routes.TASKS, True),
        (BK, routes.CLIENTS, False),
        (BK, routes.CLIENT, True),
        (BK, routes.TASK, True),
        (BK, routes.FILING, False),
        (BK, routes.STAFF, False),
        (BK, routes.SETTINGS, False),
        (BK, routes.AUDIT, False),
        (BK, routes.BOOKKEEPERS, False),
        (STAFF, routes.HOME, True),
        (STAFF, routes.SETTINGS, False),
        (STAFF, routes.BOOKKEEPERS, False),
        (ADMIN, routes.HOME, True),
        (ADMIN, routes.ACCESS_REVIEW, True),
        (STAFF, routes.ACCESS_REVIEW, False),
        (BK, routes.ACCESS_REVIEW, False),
        (SIGNED_OUT, routes.ACCESS_REVIEW, False),
        (STAFF, routes.TEMPLATES, True),
        (ADMIN, routes.TEMPLATES, True),
        (BK, routes.TEMPLATES, False),
        (SIGNED_OUT, routes.TEMPLATES, False),
    ],
)
def test_route_allowlist(role, route, allowed):
    assert access.route_decision(role, route).allowed is allowed


def test_signed_out_visitors_are_sent_to_sign_in_with_where_they_were_going():
    decision = access.route_decision(SIGNED_OUT, routes.TASK, raw_path="/tasks/12")
    assert decision.redirect == "/login?next=/tasks/12"
    expired = access.route_decision(SIGNED_OUT, routes.TASKS, raw_path="/tasks", reason="expired")
    assert expired.redirect == "/login?reason=expired&next=/tasks"


def test_signed_in_people_are_sent_home_from_the_sign_in_page():
    assert access.route_decision(BK, routes.LOGIN).redirect == routes.TASKS
    assert access.route_decision(STAFF, routes.LOGIN).redirect == routes.HOME
    assert access.route_decision(BK, "/index").redirect == routes.TASKS


def test_a_forbidden_page_reads_as_not_found():
    decision = access.route_decision(BK, routes.STAFF)
    assert not decision.allowed and decision.redirect is None


def test_must_change_password_comes_before_anything_else():
    for route in (routes.HOME, routes.TASKS, routes.CLIENTS):
        assert access.route_decision(Role.PASSWORD_CHANGE, route).redirect == routes.CHANGE_PASSWORD
    assert access.route_decision(Role.PASSWORD_CHANGE, routes.CHANGE_PASSWORD).allowed


@pytest.mark.parametrize("route", sorted(set(routes.PAGE_ROUTES) - {routes.SECURITY}))
def test_a_person_who_must_enrol_is_sent_to_the_security_page_from_every_other_page(route):
    decision = access.route_decision(Role.MUST_ENROL, route)
    assert not decision.allowed and decision.redirect == routes.SECURITY
    assert access.route_decision(Role.MUST_ENROL, routes.SECURITY).allowed


def test_a_forced_password_change_comes_before_the_second_factor():
    from portal.auth import Actor

    both = Actor(1, 1, "staff", "S", "s@x.example", 1, must_change_password=True, must_enrol=True)
    assert access.role_for(both) is Role.PASSWORD_CHANGE
    enrol = Actor(1, 1, "staff", "S", "s@x.example", 1, must_change_password=False, must_enrol=True)
    assert access.role_for(enrol) is Role.MUST_ENROL
    assert access.safe_next("/clients", Role.MUST_ENROL) == routes.SECURITY


@pytest.mark.parametrize("role", [BK, STAFF, ADMIN])
def test_everyone_with_work_can_open_their_security_page(role):
    assert access.route_decision(role, routes.SECURITY).allowed


@pytest.mark.parametrize(
    ("next_path", "role", "expected"),
    [
        ("/tasks/5", BK, "/tasks/5"),
        ("/clients/3", BK, "/clients/3"),
        ("/clients", BK, routes.TASKS),
        ("/staff", BK, routes.TASKS),
        ("//evil.example/x", BK, routes.TASKS),
        ("https://evil.example", STAFF, routes.HOME),
        ("/\\evil.example", STAFF, routes.HOME),
        ("/login", STAFF, routes.HOME),
        (None, ADMIN, routes.HOME),
    ],
)
def test_after_sign_in_only_a_local_page_of_the_role_is_followed(next_path, role, expected):
    assert access.safe_next(next_path, role) == expected
