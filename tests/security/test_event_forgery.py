"""Raw event forgery over the real websocket, as a hostile bookkeeper or a visitor would try.

1. Every handler not on the role's list, with plausible payloads: refused before it runs.
2. `setvar` on every var of every state: refused.
3. Every handler that IS on the bookkeeper's list, aimed at records outside their scope:
   another bookkeeper's step, a client with no assignment, a filed filing, another firm.

Each attempt must be refused, audited, change nothing in the database, and send back no
out-of-scope data, no password hash and no session-token hash. Refusals fold into one audit
row per actor, what and minute with a count, so "audited" is counted, not listed: every
attempt must add exactly one to its handler's refusal count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import pytest
import websockets
from sqlmodel import Session, select

from models import Firm, LoginSession, Passkey
from portal import access, routes
from portal.db import engine_for
from tests.factories import make_user
from tests.security.conftest import SECOND_FIRM, SECURITY_FIRMS
from tests.support.app_handlers import all_handlers, event_name
from tests.support.oracle import Oracle
from tests.support.payloads import plausible_payload
from tests.support.reflex_socket import ReflexSocket, run_async
from tests.support.snapshot import audit_added, audit_tally, snapshot

pytestmark = pytest.mark.live

BEA = "bea@demo-practice.example"


def is_refusal_toast(event) -> bool:
    return event.get("name") == "_set_value" and "available to you" in str(event)


def is_sign_in_redirect(event) -> bool:
    return event.get("name") == "_redirect" and "/login" in str(event.get("payload"))


def is_enrolment_redirect(event) -> bool:
    return event.get("name") == "_redirect" and routes.SECURITY in str(event.get("payload"))


# Renewed on every page entry, so a reconnect always brings a new one.
PER_ENTRY = ("rx_router", "submit_token")


def visible_state(sock: ReflexSocket) -> dict:
    """What the browser holds, minus the per-connection router data and submission token."""
    return {
        state: {k: v for k, v in values.items() if not k.startswith(PER_ENTRY)}
        for state, values in sock.merged_delta().items()
    }


@dataclass
class Attempt:
    key: str
    name: str
    payload: dict


async def _forge(live_app, cookie: str, path: str, attempts: list[Attempt]):
    sock = ReflexSocket(live_app.base_url, cookie=cookie)
    await sock.connect(path)
    before_state = visible_state(sock)
    before_db = snapshot(live_app.database_url)
    audit_before = audit_tally(live_app.database_url)
    answers = []
    for attempt in attempts:
        answers.append(await sock.call(attempt.name, attempt.payload, path=path))
    frames = sock.frames_since(0)
    await sock.close()
    # Reconnect with the same tab token: the server's state for this tab is unchanged.
    again = ReflexSocket(live_app.base_url, cookie=cookie)
    again.token = sock.token
    await again.connect(path)
    after_state = visible_state(again)
    await again.close()
    return answers, frames, before_state, after_state, before_db, audit_before


def _check_layer_one(live_app, attempts, result, expect_event):
    answers, _, before_state, after_state, before_db, audit_before = result
    problems = []
    for attempt, updates in zip(attempts, answers, strict=True):
        if any(u.delta for u in updates):
            problems.append(f"{attempt.key}: the server sent a state delta")
        if not any(expect_event(e) for u in updates for e in u.events):
            problems.append(f"{attempt.key}: no refusal came back")
    assert problems == []
    refusals = sum(1 for updates in answers for u in updates for e in u.events if expect_event(e))
    assert refusals == len(attempts), "each forged event must get exactly one refusal"
    assert after_state == before_state
    assert snapshot(live_app.database_url) == before_db
    expected = Counter(a.key for a in attempts)

    def tally(rows) -> Counter:
        audited = Counter()
        for row in rows:
            if row["action"] == "refused" and row["outcome"] == "refused":
                audited[row["detail"]] += row["added"]
        return audited

    audited = tally(
        audit_added(
            live_app.database_url,
            audit_before,
            until=lambda rows: all(tally(rows)[k] >= n for k, n in expected.items()),
        )
    )
    missing = sorted(k for k in expected if audited[k] < expected[k])
    assert missing == [], f"refusals missing from the audit log: {missing}"
    # Each refusal counted once: folded into its handler's row, never lost nor doubled.
    assert {k: audited[k] for k in expected} == dict(expected)


def off_list_attempts(role: access.Role) -> list[Attempt]:
    handlers = all_handlers()
    return [
        Attempt(key, event_name(cls, name), plausible_payload(cls, name))
        for key, (cls, name) in sorted(handlers.items())
        if not access.event_allowed(role, key)
    ]


def test_a_bookkeeper_cannot_reach_any_handler_off_their_list(live_app, cast):
    attempts = off_list_attempts(access.Role.BOOKKEEPER)
    keys = {a.key for a in attempts}
    assert {
        "state.home.HomeState.load",
        "state.client.ClientState.upload",
        "state.filing.FilingState.assign_step",
        "state.filing.FilingState.file_filing",
        "state.client.ClientState.delete_document",
        "state.client.ClientState.send_email",
        "state.filing.FilingState.set_reviewer",
        "state.settings.SettingsState.load",
    } <= keys
    result = run_async(_forge, live_app, cast.bea, "/tasks", attempts)
    _check_layer_one(live_app, attempts, result, is_refusal_toast)


def test_a_signed_out_visitor_cannot_reach_any_handler_off_their_list(live_app, second_firm):
    attempts = off_list_attempts(access.Role.SIGNED_OUT)
    assert "state.tasks.TasksState.load" in {a.key for a in attempts}
    result = run_async(_forge, live_app, "", "/login", attempts)
    _check_layer_one(live_app, attempts, result, is_sign_in_redirect)


@pytest.fixture(scope="module")
def must_enrol_cookie(live_app, second_firm):
    """A bookkeeper of a firm whose policy requires a second factor, who has none: signed in
    with the password, and held to setting one up."""
    from sqlmodel import Session

    from portal.db import engine_for
    from tests.factories import PASSWORD, make_firm, make_user
    from tests.support.live import live_settings, sign_in_cookie

    with live_settings(live_app), Session(engine_for(live_app.database_url)) as session:
        firm = make_firm(session, "Strict Policy LLP", mfa_bookkeepers=True, mfa_staff=True)
        user = make_user(session, firm, "bookkeeper", email="enrol-me@strict.example")
        session.commit()
        email = user.email
    return sign_in_cookie(live_app, email, PASSWORD)


def test_a_person_who_must_enrol_cannot_reach_any_handler_but_enrolment(
    live_app, must_enrol_cookie
):
    attempts = off_list_attempts(access.Role.MUST_ENROL)
    keys = {a.key for a in attempts}
    assert {
        "state.tasks.TasksState.load",
        "state.account.AccountState.load",
        "state.security.SecurityState.disable",
        "state.security.SecurityState.regenerate_codes",
        "state.password.PasswordState.change_password",
        "state.notifications.NotificationsState.open_list",
        "state.settings.SettingsState.load",
    } <= keys
    result = run_async(_forge, live_app, must_enrol_cookie, routes.SECURITY, attempts)
    _check_layer_one(live_app, attempts, result, is_enrolment_redirect)


@pytest.mark.parametrize("who", ["bookkeeper", "signed_out", "must_enrol"])
def test_setvar_on_every_var_of_every_state_is_refused(live_app, cast, who, request):
    attempts = []
    for key, (cls, name) in sorted(all_handlers().items()):
        if name != "setvar":
            continue
        for var in sorted(cls.base_vars):
            attempts.append(
                Attempt(key, event_name(cls, "setvar"), {"var_name": var, "value": "forged"})
            )
    assert len(attempts) > 60
    cookie, path, expect = {
        "bookkeeper": (cast.bea, "/tasks", is_refusal_toast),
        "signed_out": ("", "/login", is_sign_in_redirect),
        "must_enrol": (
            request.getfixturevalue("must_enrol_cookie") if who == "must_enrol" else "",
            routes.SECURITY,
            is_enrolment_redirect,
        ),
    }[who]
    result = run_async(_forge, live_app, cookie, path, attempts)
    _check_layer_one(live_app, attempts, result, expect)


# Handlers on the bookkeeper's list that take no record at all: nothing to aim elsewhere.
NO_RECORD = {
    "state.session.SessionState.enter_page",
    "state.session.SessionState.sign_out",
    # Only forgets text the page handed back unsaved; loads and changes nothing.
    "state.session.SessionState.dismiss_unsent",
    # Takes the browser's answer to what the server asked this tab, and only that: it names
    # no record (the server kept which handler takes it).
    "state.session.SessionState.answer",
    "state.password.PasswordState.change_password",
    "state.tasks.TasksState.load",
    "state.tasks.TasksState.filter_status",
    "state.tasks.TasksState.sort_by",
    "state.tasks.TasksState.next_page",
    "state.tasks.TasksState.previous_page",
    "state.task.TaskState.cancel_waiting",
    "state.task.TaskState.cancel_edit_time",
    # Only remembers which entry's form to open; loads and changes nothing.
    "state.task.TaskState.start_edit_time",
    # The person's own notifications and email switches: they name no record. (A line of the
    # list names its task only through the rule: tests/test_notifications.py.)
    "state.account.AccountState.load",
    "state.account.AccountState.save_notifications",
    # Ends the person's own sessions but the one in use: it names none.
    "state.account.AccountState.end_other_sessions",
    "state.notifications.NotificationsState.open_list",
    "state.notifications.NotificationsState.mark_all_read",
    # The person's own second factor: every one acts on the acting person's own row only.
    "state.security.SecurityState.load",
    "state.security.SecurityState.start_enrolment",
    "state.security.SecurityState.confirm_enrolment",
    "state.security.SecurityState.cancel_enrolment",
    "state.security.SecurityState.dismiss_codes",
    "state.security.SecurityState.disable",
    "state.security.SecurityState.regenerate_codes",
    # The person's own passkeys: loading the list, and a registration, which names no record
    # (its answer, through SessionState.answer, only hands back the challenge this tab was
    # given).
    "state.passkeys.PasskeysState.load",
    "state.passkeys.PasskeysState.start_registration",
    # Only remember which passkey's controls to open, or close them; load and change nothing.
    "state.passkeys.PasskeysState.start_rename",
    "state.passkeys.PasskeysState.cancel_rename",
    "state.passkeys.PasskeysState.ask_remove",
    "state.passkeys.PasskeysState.keep",
}


def others_passkeys(live_app) -> list[int]:
    """Passkeys of two people who are not Bea, one in her firm and one in another (bookkeepers:
    no staff seat taken from the tests that count them): made for
    this test (the demo has none), on logins of their own that nothing else signs in."""
    ids = []
    with Session(engine_for(live_app.database_url)) as session:
        for firm_name in ("Demo Practice", SECOND_FIRM):
            firm = session.exec(select(Firm).where(Firm.name == firm_name)).one()
            owner = make_user(session, firm, "bookkeeper")
            passkey = Passkey(
                user_id=owner.id,
                credential_id=f"forgery-target-{owner.id}",
                public_key="pQECAyYgASFYIA",
                user_handle=f"handle-{owner.id}",
                name="Someone else's key",
            )
            session.add(passkey)
            session.flush()
            ids.append(passkey.id)
        session.commit()
    return ids


def out_of_scope_targets(oracle: Oracle, user_id: int) -> dict[str, list[int]]:
    """One record of each kind the issue names: another bookkeeper's, a staff member's, one
    on a filed filing, one with no assignment at all, and another firm's."""
    me = oracle.users[user_id]
    mine = oracle.own_steps(user_id)
    visible = oracle.visible_clients(user_id)

    def first(ids):
        return next(iter(sorted(ids)), None)

    def firm_of_step(s):
        return oracle.steps[s]["firm_id"]

    role = {uid: u["role"] for uid, u in oracle.users.items()}
    filing_status = {f: fl["status"] for f, fl in oracle.filings.items()}
    steps = [
        first(
            s
            for s, st in oracle.steps.items()
            if st["assignee_id"] not in (None, user_id)
            and role.get(st["assignee_id"]) == "bookkeeper"
            and firm_of_step(s) == me["firm_id"]
        ),
        first(
            s
            for s, st in oracle.steps.items()
            if role.get(st["assignee_id"]) in ("admin", "staff")
            and firm_of_step(s) == me["firm_id"]
        ),
        first(
            s
            for s, st in oracle.steps.items()
            if st["assignee_id"] == user_id
            and filing_status[st["filing_id"]] not in ("open", "in_review")
        ),
        first(s for s in oracle.steps if firm_of_step(s) != me["firm_id"]),
    ]
    clients = [
        first(
            c
            for c, cl in oracle.clients.items()
            if cl["firm_id"] == me["firm_id"]
            and c not in visible
            and not any(
                oracle.filings[st["filing_id"]]["client_id"] == c
                and st["assignee_id"]
                and role.get(st["assignee_id"]) == "bookkeeper"
                for st in oracle.steps.values()
            )
        ),
        first(
            c
            for c in oracle.clients
            if c not in visible
            and oracle.clients[c]["firm_id"] == me["firm_id"]
            and any(
                oracle.filings[st["filing_id"]]["client_id"] == c and st["assignee_id"] == user_id
                for st in oracle.steps.values()
            )
        ),
        first(c for c, cl in oracle.clients.items() if cl["firm_id"] != me["firm_id"]),
    ]
    filings = [
        first(f for f, fl in oracle.filings.items() if fl["status"] == "filed"),
        first(
            f
            for f, fl in oracle.filings.items()
            if fl["client_id"] in visible
            and not any(oracle.steps[s]["filing_id"] == f for s in mine)
        ),
        first(f for f, fl in oracle.filings.items() if fl["firm_id"] != me["firm_id"]),
    ]
    picks = {
        "step": steps,
        "client": clients,
        "filing": filings,
        "item": [
            first(i for i, it in oracle.items.items() if it["step_id"] == s)
            for s in steps
            if s is not None
        ],
        "entry": [first(e for e, en in oracle.entries.items() if en["user_id"] != user_id)],
        "document": [
            first(
                d
                for d, doc in oracle.documents.items()
                if not oracle.can_download(user_id, d) and doc["firm_id"] == me["firm_id"]
            ),
            first(d for d, doc in oracle.documents.items() if doc["firm_id"] != me["firm_id"]),
        ],
    }
    picks = {kind: [t for t in ids if t is not None] for kind, ids in picks.items()}
    assert len(picks["step"]) == 4 and len(picks["client"]) == 3 and len(picks["filing"]) == 3
    assert picks["item"] and picks["entry"] and len(picks["document"]) == 2, picks
    return picks


def others_sessions(database_url: str, user_id: int) -> list[int]:
    """Live sessions of other people (the cast's: a bookkeeper and a staff member of the same
    firm, a bookkeeper of another), and an id that never existed."""
    with Session(engine_for(database_url)) as session:
        rows = session.exec(
            select(LoginSession.id, LoginSession.user_id).where(
                LoginSession.user_id != user_id,
                LoginSession.revoked_at.is_(None),
                LoginSession.token_hash.is_not(None),
            )
        ).all()
    by_user = {uid: sid for sid, uid in rows}
    return [*sorted(by_user.values())[:3], 9_999_999]


def targeted_attempts(
    oracle: Oracle, bea_id: int, sessions: list[int], passkey_ids: list[int]
) -> list[tuple[Attempt, str, dict, int]]:
    """(attempt, page path, route params, target id) for every handler on Bea's list that
    names a record, aimed at each kind of record outside her scope."""
    picks = {**out_of_scope_targets(oracle, bea_id), "session": sessions, "passkey": passkey_ids}
    today = date.today().isoformat()
    task = "reflex___state____state.state___session____session_state.state___task____task_state"
    client = (
        "reflex___state____state.state___session____session_state.state___client____client_state"
    )
    tasks = "reflex___state____state.state___session____session_state.state___tasks____tasks_state"
    account = (
        "reflex___state____state.state___session____session_state.state___account____account_state"
    )
    keys = (
        "reflex___state____state.state___session____session_state"
        ".state___passkeys____passkeys_state"
    )
    preview = (
        "reflex___state____state.state___session____session_state"
        ".state___document_preview____document_preview_state"
    )
    catalog = {
        "state.task.TaskState.load": ("step", lambda t: ({}, "/tasks/{t}", {"step_id": t})),
        "state.task.TaskState.set_step_status": (
            "step",
            lambda t: ({"step_id": t, "expected": "todo", "status": "done"}, "/tasks", None),
        ),
        "state.task.TaskState.mark_waiting": (
            "step",
            lambda t: ({"form": {"step_id": str(t), "reason": "forged"}}, "/tasks", None),
        ),
        "state.task.TaskState.tick": (
            "item",
            lambda t: ({"item_id": t, "done": True}, "/tasks", None),
        ),
        "state.task.TaskState.log_time": (
            "step",
            lambda t: (
                {"form": {"step_id": str(t), "minutes": "30", "work_date": today}},
                "/tasks",
                None,
            ),
        ),
        "state.task.TaskState.update_time": (
            "entry",
            lambda t: (
                {"form": {"entry_id": str(t), "minutes": "1", "work_date": today}},
                "/tasks",
                None,
            ),
        ),
        "state.task.TaskState.delete_time": (
            "entry",
            lambda t: ({"token": "forged-token", "entry_id": t}, "/tasks", None),
        ),
        "state.task.TaskState.add_comment": (
            "step",
            lambda t: ({"form": {"step_id": str(t), "body": "forged"}}, "/tasks", None),
        ),
        "state.task.TaskState.post": (
            "step",
            lambda t: ({"form": {"body": "forged"}}, "/tasks/{t}", {"step_id": t}),
        ),
        "state.client.ClientState.load": (
            "client",
            lambda t: ({}, "/clients/{t}", {"client_id": t}),
        ),
        "state.client.ClientState.download": (
            "document",
            lambda t: ({"document_id": t}, "/tasks", None),
        ),
        "state.document_preview.DocumentPreviewState.load": (
            "document",
            lambda t: ({}, "/documents/{t}", {"document_id": t}),
        ),
        "state.client.ClientState.post_thread": (
            "filing",
            lambda t: ({"form": {"filing_id": str(t), "body": "forged"}}, "/tasks", None),
        ),
        "state.tasks.TasksState.filter_client": (
            "client",
            lambda t: ({"value": str(t)}, "/tasks", None),
        ),
        "state.account.AccountState.end_session": (
            "session",
            lambda t: ({"token": "forged-token", "session_id": t}, "/account", None),
        ),
        "state.passkeys.PasskeysState.rename": (
            "passkey",
            lambda t: (
                {"form": {"passkey_id": str(t), "name": "forged", "_token": f"forged-{t}"}},
                "/account",
                None,
            ),
        ),
        "state.passkeys.PasskeysState.remove": (
            "passkey",
            lambda t: ({"token": f"forged-{t}", "passkey_id": t}, "/account", None),
        ),
    }
    names = {
        "TaskState": task,
        "ClientState": client,
        "TasksState": tasks,
        "AccountState": account,
        "PasskeysState": keys,
        "DocumentPreviewState": preview,
    }
    on_list = {
        k
        for k in access.EVENTS[access.Role.BOOKKEEPER]
        if k not in access.REFLEX_INTERNAL and k not in NO_RECORD
    }
    assert on_list == set(catalog), (
        "every handler on the bookkeeper's list must be attacked here or listed in NO_RECORD: "
        f"{sorted(on_list ^ set(catalog))}"
    )
    attempts = []
    for key, (kind, build) in sorted(catalog.items()):
        cls_name, handler = key.split(".")[-2:]
        for target in picks[kind]:
            payload, path, query = build(target)
            attempts.append(
                (
                    Attempt(key, f"{names[cls_name]}.{handler}", payload),
                    path.format(t=target),
                    query or {},
                    target,
                )
            )
    return attempts


async def _aim(live_app, cookie, attempts, forbidden: set[str]):
    results = []
    sock = ReflexSocket(live_app.base_url, cookie=cookie)
    await sock.connect("/tasks")
    for attempt, path, query, target in attempts:
        before_db = snapshot(live_app.database_url)
        audit_before = audit_tally(live_app.database_url)
        start = len(sock.raw_frames)
        await sock.call(attempt.name, attempt.payload, path=path, query=query)
        frames = sock.frames_since(start)
        results.append(
            (
                attempt.key,
                target,
                snapshot(live_app.database_url) == before_db,
                # A new row, or one more on the row this refusal folds into.
                [
                    (r["outcome"], r["target_id"])
                    for r in audit_added(
                        live_app.database_url,
                        audit_before,
                        until=lambda rows: any(r["outcome"] == "refused" for r in rows),
                    )
                ],
                sorted(s for s in forbidden if s in frames),
            )
        )
    await sock.close()
    return results


def test_handlers_on_the_list_refuse_every_record_outside_scope(live_app, cast):
    oracle = Oracle.load(live_app.database_url)
    bea = oracle.user_by_email(BEA)["id"]
    # Aimed at the demo firm's and the second firm's records; nothing of any firm may come back.
    attempts = targeted_attempts(
        oracle.of_firms(SECURITY_FIRMS),
        bea,
        others_sessions(live_app.database_url, bea),
        others_passkeys(live_app),
    )
    forbidden = oracle.out_of_scope_strings(bea) | oracle.secrets()
    results = run_async(_aim, live_app, cast.bea, attempts, forbidden)
    problems = []
    for key, target, unchanged, audited, leaked in results:
        if not unchanged:
            problems.append(f"{key} → {target}: the database changed")
        if not any(outcome == "refused" for outcome, _ in audited):
            problems.append(f"{key} → {target}: no refusal in the audit log ({audited})")
        if leaked:
            problems.append(f"{key} → {target}: sent back {leaked}")
    assert problems == [], "\n".join(problems)
    assert len(results) == len(attempts) >= 30


def test_a_cross_site_page_cannot_open_the_event_socket(live_app, cast):
    async def attempt():
        sock = ReflexSocket(live_app.base_url, cookie=cast.bea, origin="https://evil.example")
        await sock.connect("/tasks")

    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        run_async(attempt)
    assert refused.value.response.status_code == 403
