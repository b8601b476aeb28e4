"""The firm's clients: the businesses whose books and filings the firm keeps."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import Index, event
from sqlmodel import Field, SQLModel

from models.base import utcnow


class Client(SQLModel, table=True):
    __tablename__ = "client"
    __table_args__ = (
        Index("ix_client_firm_name", "firm_id", "name"),
        # Finding a likely duplicate before a client is created: same name ignoring case and
        # spacing, or the same business number however it was typed.
        # It also serves the client list: read in name order, with the search key beside each
        # entry, a search or a page is answered from the index without touching the rows.
        Index("ix_client_firm_name_key", "firm_id", "name_key", "id", "search_key"),
        Index("ix_client_firm_bn_key", "firm_id", "bn_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    name: str = Field(max_length=200)
    business_number: str = Field(default="", max_length=40)
    name_key: str = Field(default="", max_length=200)
    bn_key: str = Field(default="", max_length=40)
    search_key: str = Field(default="", max_length=500)
    contact_name: str = Field(default="", max_length=200)
    contact_email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=500)
    notes: str = Field(default="", max_length=5000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Who made the last change, so a conflicting editor is told who it was.
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    version: int = Field(default=1)


def _fold(text: str) -> str:
    """Unicode's NFKC_Casefold: casefolding can undo normalisation, so it is normalised again."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text or "").casefold())


def _nfc(key: str) -> str:
    """Keys are stored in NFC like all text: taking out spaces can put a combining mark next
    to a letter it now composes with."""
    return unicodedata.normalize("NFC", key)


def name_key(name: str) -> str:
    """A client's name as duplicates are found: case and spacing do not matter."""
    return _nfc("".join(_fold(name).split()))[:200]


def bn_key(business_number: str) -> str:
    """A business number as duplicates are found: only its letters and digits count."""
    return _nfc("".join(ch for ch in (business_number or "").upper() if ch.isalnum()))[:40]


def folded(text: str) -> str:
    """Text as the client search compares it: compatibility forms, case and runs of spaces
    do not matter (so full-width letters or "STRAẞE" are found as typed plainly)."""
    return _nfc(" ".join(_fold(text).split()))


# Between the fields of a search key, so a search never matches across two fields; the
# search box's text can never hold it (control characters are removed from every line).
_FIELD_BREAK = "\x1f"


def search_key(name: str, business_number: str, contact_name: str) -> str:
    """What the client search looks in: name, business number (as typed, and as letters and
    digits only, so "123456789" finds "12345 6789 RT0001") and contact, folded."""
    parts = (folded(name), folded(business_number), bn_key(business_number).casefold())
    return _FIELD_BREAK.join((*parts, folded(contact_name)))[:500]


def keep_keys(client: Client) -> None:
    """The derived keys follow whatever name, number and contact the row holds."""
    client.name_key = name_key(client.name)
    client.bn_key = bn_key(client.business_number)
    client.search_key = search_key(client.name, client.business_number, client.contact_name)


@event.listens_for(Client, "before_insert")
@event.listens_for(Client, "before_update")
def _keep_keys(_mapper, _connection, client: Client) -> None:
    keep_keys(client)
