"""Plausible arguments for any event handler, built from its signature."""

from __future__ import annotations

import inspect
import typing
from typing import Any

import reflex as rx


def _value_for(name: str, hint: Any, record_id: int) -> Any:
    origin = typing.get_origin(hint) or hint
    if origin is int:
        return record_id
    if origin is bool:
        return True
    if origin is float:
        return 1.0
    if origin in (list, tuple, set):
        return [record_id]
    if origin is dict:
        # Covers form submissions: every field a form in this app might carry.
        return {
            "email": "forged@example.com",
            "password": "forged password!",
            "name": "Forged",
            "title": "Forged",
            "body": "Forged",
            "reason": "Forged",
            "minutes": "30",
            "id": str(record_id),
        }
    if "id" in name:
        return str(record_id)
    return "forged"


def plausible_payload(cls: type[rx.State], handler: str, record_id: int = 1) -> dict:
    if handler == "setvar":
        names = [n for n in cls.base_vars if not n.startswith("rx_router")]
        target = names[0] if names else "is_hydrated"
        return {"var_name": target, "value": "forged"}
    fn = cls.event_handlers[handler].fn
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {}
    payload = {}
    for param in list(inspect.signature(fn).parameters.values())[1:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        payload[param.name] = _value_for(param.name, hints.get(param.name, Any), record_id)
    return payload
