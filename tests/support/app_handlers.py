"""Every event handler the app registers, named as the allowlist names them."""

from __future__ import annotations

from collections.abc import Iterator

import reflex as rx

# Building the app registers every page and state, in the importing context.
import portal.portal  # noqa: F401


def _walk(cls: type[rx.State]) -> Iterator[type[rx.State]]:
    yield cls
    for sub in cls.get_substates():
        yield from _walk(sub)


def all_handlers() -> dict[str, tuple[type[rx.State], str]]:
    """{"module.StateClass.handler": (state class, handler name)} for the whole app."""
    found = {}
    for cls in _walk(rx.State):
        for name in cls.event_handlers:
            found[f"{cls.__module__}.{cls.__name__}.{name}"] = (cls, name)
    return found


def event_name(cls: type[rx.State], handler: str) -> str:
    """The name the browser sends for a handler."""
    return f"{cls.get_full_name()}.{handler}"
