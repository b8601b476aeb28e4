"""Layer 1 is complete: every handler in the app is classified, and nothing else is listed."""

from __future__ import annotations

from portal import access, routes
from portal.boundary import handler_key
from tests.support.app_handlers import all_handlers, event_name


def test_every_event_handler_of_every_state_is_classified():
    unclassified = [
        key
        for key in all_handlers()
        if not access.denied_to_all(key) and not any(key in access.EVENTS[r] for r in access.Role)
    ]
    assert unclassified == [], (
        "Add each handler to a role's list in portal/access.py (or to DENIED_TO_ALL): "
        f"{unclassified}"
    )


def test_the_allowlist_names_only_handlers_that_exist():
    handlers = set(all_handlers())
    listed = set().union(*access.EVENTS.values())
    assert sorted(listed - handlers) == []


def test_setvar_is_refused_to_everyone_on_every_state():
    setvars = [key for key in all_handlers() if key.endswith(".setvar")]
    assert len(setvars) > 5
    for key in setvars:
        assert not any(access.event_allowed(role, key) for role in access.Role)


def test_event_names_from_the_browser_map_to_handler_keys():
    for key, (cls, name) in all_handlers().items():
        assert handler_key(event_name(cls, name)) == key
    assert handler_key("reflex___state____state.no_such_state.load") is None
    assert handler_key("reflex___state____state.state___session____session_state.nope") is None
    assert handler_key("") is None


def test_bookkeepers_and_visitors_get_strictly_less_than_staff():
    staff = access.EVENTS[access.Role.STAFF]
    assert access.EVENTS[access.Role.SIGNED_OUT] - staff <= {
        "state.signin.SignInState.load",
        "state.signin.SignInState.sign_in",
        "state.passkeys.PasskeySignInState.start_sign_in",
        "state.signin.SignInState.verify_code",
        "state.signin.SignInState.toggle_recovery",
        "state.signin.SignInState.start_again",
        # The pages of emailed links, and asking for one: only ever for signed-out visitors.
        "state.links.InvitationState.load",
        "state.links.InvitationState.accept",
        "state.links.ResetPasswordState.load",
        "state.links.ResetPasswordState.set_new_password",
        "state.links.ForgotPasswordState.load",
        "state.links.ForgotPasswordState.request_link",
        "state.signin.SignInState.use_passkey",
    }
    assert access.EVENTS[access.Role.STAFF] <= access.EVENTS[access.Role.ADMIN]


PASSKEY_HANDLERS = (
    "load",
    "start_registration",
    "start_rename",
    "cancel_rename",
    "rename",
    "ask_remove",
    "keep",
    "remove",
)


def test_a_person_who_must_enrol_may_only_set_up_a_factor_and_sign_out():
    must_enrol = access.EVENTS[access.Role.MUST_ENROL] - access.REFLEX_INTERNAL
    assert must_enrol == {
        "state.session.SessionState.enter_page",
        "state.session.SessionState.sign_out",
        "state.session.SessionState.answer",
        "state.security.SecurityState.load",
        "state.security.SecurityState.start_enrolment",
        "state.security.SecurityState.confirm_enrolment",
        "state.security.SecurityState.cancel_enrolment",
        "state.security.SecurityState.dismiss_codes",
        # A passkey is the other factor they may set up (and name, or remove again).
        *(f"state.passkeys.PasskeysState.{name}" for name in PASSKEY_HANDLERS),
    }
    # Everything they may do, every role with work may do too: nothing extra is opened.
    for role in (access.Role.BOOKKEEPER, access.Role.STAFF, access.Role.ADMIN):
        assert access.EVENTS[access.Role.MUST_ENROL] <= access.EVENTS[role]
    assert access.ROUTES[access.Role.MUST_ENROL] == {routes.SECURITY, routes.NOT_FOUND}


def test_every_listed_route_is_a_page_route():
    pages = set(routes.PAGE_ROUTES) | {routes.NOT_FOUND}
    for role, allowed in access.ROUTES.items():
        assert allowed <= pages, (role, allowed - pages)
