"""A plain-Python oracle of the access rule in DESIGN.md, over raw rows of the database.

It shares no code with the service layer: it reads every table with plain SQL and answers
"may this person open this record?" the way the design states the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text

from portal.db import engine_for

ACTIVE = {"open", "in_review"}
STAFF = {"admin", "staff"}


def _rows(conn, table: str) -> dict[int, dict]:
    return {r["id"]: dict(r) for r in conn.execute(text(f'SELECT * FROM "{table}"')).mappings()}  # noqa: S608


@dataclass
class Oracle:
    firms: dict[int, dict] = field(default_factory=dict)
    users: dict[int, dict] = field(default_factory=dict)
    clients: dict[int, dict] = field(default_factory=dict)
    filings: dict[int, dict] = field(default_factory=dict)
    steps: dict[int, dict] = field(default_factory=dict)
    items: dict[int, dict] = field(default_factory=dict)
    entries: dict[int, dict] = field(default_factory=dict)
    documents: dict[int, dict] = field(default_factory=dict)
    sessions: dict[int, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, database_url: str) -> Oracle:
        with engine_for(database_url).connect() as conn:
            return cls(
                firms=_rows(conn, "firm"),
                users=_rows(conn, "user_account"),
                clients=_rows(conn, "client"),
                filings=_rows(conn, "filing"),
                steps=_rows(conn, "step"),
                items=_rows(conn, "checklist_item"),
                entries=_rows(conn, "time_entry"),
                documents=_rows(conn, "document"),
                sessions=_rows(conn, "login_session"),
            )

    def of_firms(self, names: tuple[str, ...]) -> Oracle:
        """The same rule over the named firms' records only. The security suite attacks the
        demo firm and its second firm; other tests' firms (one imports 500 clients) would
        only make its sweeps longer, and change which record is "another firm's first"."""
        ids = {f for f, firm in self.firms.items() if firm["name"] in names}
        users = {u: row for u, row in self.users.items() if row["firm_id"] in ids}

        def mine(rows: dict[int, dict]) -> dict[int, dict]:
            return {k: row for k, row in rows.items() if row["firm_id"] in ids}

        return Oracle(
            firms={f: self.firms[f] for f in ids},
            users=users,
            clients=mine(self.clients),
            filings=mine(self.filings),
            steps=mine(self.steps),
            items=mine(self.items),
            entries=mine(self.entries),
            documents=mine(self.documents),
            sessions={k: row for k, row in self.sessions.items() if row["user_id"] in users},
        )

    def user_by_email(self, email: str) -> dict:
        return next(u for u in self.users.values() if u["email"] == email)

    def _staff(self, user: dict | None, firm_id: int) -> bool:
        return bool(
            user and user["is_active"] and user["role"] in STAFF and user["firm_id"] == firm_id
        )

    def _bookkeeper_standing(self, user: dict | None) -> bool:
        if not user or not user["is_active"] or user["role"] != "bookkeeper":
            return False
        firm = self.firms[user["firm_id"]]
        return bool(firm["filing_steps_enabled"] and firm["portal_enabled"])

    def can_open_client(self, user_id: int | None, client_id: int) -> bool:
        user, client = self.users.get(user_id), self.clients.get(client_id)
        if client is None or user is None:
            return False
        if user["role"] in STAFF:
            return self._staff(user, client["firm_id"])
        if not self._bookkeeper_standing(user) or user["firm_id"] != client["firm_id"]:
            return False
        return any(
            s["assignee_id"] == user_id
            and self.filings[s["filing_id"]]["client_id"] == client_id
            and self.filings[s["filing_id"]]["status"] in ACTIVE
            for s in self.steps.values()
        )

    def can_open_step(self, user_id: int | None, step_id: int) -> bool:
        """The task page: a bookkeeper's own step on an active filing (staff use filings)."""
        user, step = self.users.get(user_id), self.steps.get(step_id)
        if user is None or step is None or not self._bookkeeper_standing(user):
            return False
        filing = self.filings[step["filing_id"]]
        return (
            step["assignee_id"] == user_id
            and filing["status"] in ACTIVE
            and step["firm_id"] == user["firm_id"]
        )

    def can_open_filing_page(self, user_id: int | None, filing_id: int) -> bool:
        filing = self.filings.get(filing_id)
        return filing is not None and self._staff(self.users.get(user_id), filing["firm_id"])

    def can_download(self, user_id: int | None, document_id: int) -> bool:
        document = self.documents.get(document_id)
        if document is None or document["deleted_at"] is not None:
            return False
        return self.can_open_client(user_id, document["client_id"])

    def visible_clients(self, user_id: int) -> set[int]:
        return {cid for cid in self.clients if self.can_open_client(user_id, cid)}

    def own_steps(self, user_id: int) -> set[int]:
        return {sid for sid in self.steps if self.can_open_step(user_id, sid)}

    def secrets(self) -> set[str]:
        """What must never reach any browser: password and session-token hashes, sealed
        authenticator secrets."""
        found = {u["password_hash"] for u in self.users.values()}
        # Sealed authenticator secrets, switched on or being set up: never sent, even sealed.
        found |= {
            u[column]
            for u in self.users.values()
            for column in ("totp_secret", "totp_pending")
            if u.get(column)
        }
        found |= {s["token_hash"] for s in self.sessions.values() if s["token_hash"]}
        return found

    def out_of_scope_strings(self, user_id: int) -> set[str]:
        """Names a bookkeeper must never receive: clients they cannot open, steps that are
        not theirs, other firms, and every staff member's email address."""
        visible = self.visible_clients(user_id)
        mine = self.own_steps(user_id)
        own_titles = {self.steps[s]["title"] for s in mine}
        visible_names = {self.clients[c]["name"] for c in visible}
        strings = {
            c["name"]
            for cid, c in self.clients.items()
            if cid not in visible and c["name"] not in visible_names
        }
        firm_id = self.users[user_id]["firm_id"]
        strings |= {
            s["title"]
            for sid, s in self.steps.items()
            if sid not in mine
            and s["title"] not in own_titles
            and self.filings[s["filing_id"]]["client_id"] not in visible
        }
        strings |= {f["name"] for fid, f in self.firms.items() if fid != firm_id}
        strings |= {u["email"] for u in self.users.values() if u["role"] in STAFF}
        return {s for s in strings if len(s) >= 6}
