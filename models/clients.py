"""The firm's clients: the businesses whose books and filings the firm keeps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import utcnow


class Client(SQLModel, table=True):
    __tablename__ = "client"
    __table_args__ = (Index("ix_client_firm_name", "firm_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    name: str = Field(max_length=200)
    business_number: str = Field(default="", max_length=40)
    contact_name: str = Field(default="", max_length=200)
    contact_email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=500)
    notes: str = Field(default="", max_length=5000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)
