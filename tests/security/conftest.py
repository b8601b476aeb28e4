"""The cast for attacking the running app: the demo firm plus a second firm, and cookies."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import Session, select

from models import Client, Firm, User
from portal.db import engine_for
from portal.demo import BOOKKEEPER_PASSWORD, DEMO_FIRM, STAFF_PASSWORD
from portal.services import documents, steps
from tests.factories import (
    PASSWORD,
    actor_for,
    make_client,
    make_filing,
    make_firm,
    make_step,
    make_user,
)
from tests.support.live import live_settings, sign_in_cookie

SECOND_FIRM = "Northwind Partners LLP"
# The firms the sweeps aim at: other tests' firms come and go with the order tests run in.
SECURITY_FIRMS = (DEMO_FIRM, SECOND_FIRM)
SUMMIT = "Summit Engineering Ltd."


@dataclass(frozen=True)
class Cast:
    bea: str  # cookie headers
    dev: str
    sam: str
    omar: str  # the second firm's bookkeeper


@pytest.fixture(scope="session")
def second_firm(live_app):
    """Another firm on the same deployment, with work of its own and a document."""
    with live_settings(live_app), Session(engine_for(live_app.database_url)) as session:
        if session.exec(select(Firm).where(Firm.name == SECOND_FIRM)).first() is None:
            firm = make_firm(session, SECOND_FIRM)
            admin = make_user(
                session, firm, "admin", email="nina@northwind.example", name="Nina Northwind"
            )
            make_user(session, firm, "staff", email="nate@northwind.example", name="Nate North")
            omar = make_user(
                session, firm, "bookkeeper", email="omar@northwind.example", name="Omar Outside"
            )
            client = make_client(session, firm, "Northwind Client Co.")
            filing = make_filing(session, client, kind="Payroll", period="June 2026")
            step = make_step(
                session,
                filing,
                omar,
                title="Northwind payroll journal",
                checklist=("Northwind register",),
            )
            session.commit()
            actor = actor_for(omar)
            steps.log_time(
                session=session,
                actor=actor,
                step_id=step.id,
                minutes="30",
                work_date=date.today().isoformat(),
                note="Northwind hours",
            )
            steps.add_comment(
                session=session, actor=actor, step_id=step.id, body="Northwind comment"
            )
            documents.upload_documents(
                session=session,
                actor=actor_for(admin),
                client_id=client.id,
                filing_id=filing.id,
                files=[
                    documents.IncomingFile(
                        "northwind-ledger.csv", io.BytesIO(b"account,amount\n1000,5\n")
                    )
                ],
            )
            session.commit()
            # And a document of the demo firm that no bookkeeper can open: Summit's only
            # filing is filed. The attacks aim at it as "same firm, out of scope".
            demo_admin = session.exec(
                select(User).where(User.email == "admin@demo-practice.example")
            ).one()
            summit = session.exec(select(Client).where(Client.name == SUMMIT)).one()
            documents.upload_documents(
                session=session,
                actor=actor_for(demo_admin),
                client_id=summit.id,
                files=[
                    documents.IncomingFile(
                        "summit-payroll-register.csv", io.BytesIO(b"employee,gross\nA,100\n")
                    )
                ],
            )
            session.commit()
    return SECOND_FIRM


@pytest.fixture(scope="session")
def cast(live_app, second_firm) -> Cast:
    return Cast(
        bea=sign_in_cookie(live_app, "bea@demo-practice.example", BOOKKEEPER_PASSWORD),
        dev=sign_in_cookie(live_app, "dev@demo-practice.example", BOOKKEEPER_PASSWORD),
        sam=sign_in_cookie(live_app, "sam@demo-practice.example", STAFF_PASSWORD),
        omar=sign_in_cookie(live_app, "omar@northwind.example", PASSWORD),
    )
