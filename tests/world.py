"""Two firms with people, clients, filings and steps: the cast most service tests need."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from models import Client, Filing, Firm, Step, User
from portal.auth import Actor
from tests.factories import (
    actor_for,
    make_client,
    make_filing,
    make_firm,
    make_login,
    make_step,
    make_user,
)


@dataclass
class World:
    firm: Firm
    admin: User
    staff: User
    bk1: User
    bk2: User
    client: Client
    other_client: Client
    filing: Filing
    step: Step
    other_firm: Firm
    outsider: User
    outsider_client: Client
    outsider_filing: Filing
    outsider_step: Step

    def actor(self, session: Session, user: User) -> Actor:
        """An actor backed by a real session row, as the boundary would produce."""
        return actor_for(user, make_login(session, user))


def build_world(session: Session) -> World:
    firm = make_firm(session, "Alpha Accounting", staff_seats=5)
    admin = make_user(session, firm, "admin", email="admin@alpha.example", name="Ada Admin")
    staff = make_user(session, firm, "staff", email="sam@alpha.example", name="Sam Staff")
    bk1 = make_user(session, firm, "bookkeeper", email="bea@alpha.example", name="Bea Books")
    bk2 = make_user(session, firm, "bookkeeper", email="dev@alpha.example", name="Dev Books")
    client = make_client(session, firm, "Maple Leaf Cafe Inc.")
    other_client = make_client(session, firm, "River Valley Dental")
    filing = make_filing(session, client, kind="GST/HST", period="Q1 2026")
    step = make_step(
        session, filing, bk1, title="Enter Q1 bank transactions", checklist=("Deposits", "Cheques")
    )
    other_firm = make_firm(session, "Beta Bookkeeping")
    outsider = make_user(session, other_firm, "staff", email="olga@beta.example", name="Olga")
    outsider_client = make_client(session, other_firm, "Beta Client Co.")
    outsider_filing = make_filing(session, outsider_client)
    outsider_step = make_step(session, outsider_filing, outsider, title="Beta step")
    session.commit()
    return World(
        firm=firm,
        admin=admin,
        staff=staff,
        bk1=bk1,
        bk2=bk2,
        client=client,
        other_client=other_client,
        filing=filing,
        step=step,
        other_firm=other_firm,
        outsider=outsider,
        outsider_client=outsider_client,
        outsider_filing=outsider_filing,
        outsider_step=outsider_step,
    )
