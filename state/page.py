"""What every page state shares: its messages, and one way to run a service call.

The rules every form and button on every page follows live here, once:
- each submission carries the page's token and happens once, however often it is sent;
- a refusal keeps what the person typed (forms are cleared only after a success);
- a record edited by someone else in the meantime is never overwritten: the person is told
  who changed what, and can reload the fresh record with their own entries beside it;
- when the record leaves the person's reach mid-task, what they typed is shown back;
- an unexpected failure becomes a clear message with a reference, never a generic toast.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import reflex as rx

from portal import browser
from portal.services import inputs
from portal.services.errors import Conflict, Duplicate, Invalid, NotFound, ServiceError
from portal.services.runner import Once
from state import live as live_pages
from state.calls import call, call_once
from state.session import new_token, typed_back

_FORM_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
# Date inputs by name, as a refusal names them when the browser could not read the date.
DATE_LABELS = {"due_date": "Due date", "work_date": "Date"}
LOST_ITEM = (
    "That item no longer exists or is no longer yours to change. The page has been refreshed."
)


@dataclass(frozen=True)
class Attempt:
    """A service call's outcome, carried back from a worker thread to the event loop."""

    done: Once | None = None
    error: ServiceError | None = None


def attempt(fn: Callable[..., Any], token: object, kwargs: Mapping[str, Any]) -> Attempt:
    """Run one call; `token` None means an idempotent change that needs no submission key."""
    try:
        if token is None:
            return Attempt(Once(call(fn, **kwargs)))
        return Attempt(call_once(fn, token=token, **kwargs))
    except ServiceError as exc:
        return Attempt(error=exc)


def clear_form(form: Mapping[str, Any]) -> rx.event.EventSpec | None:
    """Empty the submitted form in the browser: only ever after a success."""
    form_id = str(form.get("_form") or "")
    if not _FORM_ID.match(form_id):
        return None
    return browser.reset_form(form_id)


class PageMixin(rx.State, mixin=True):
    error: str = ""
    notice: str = ""
    # The last refusal said the record looks like one that exists: offer "save it anyway".
    confirm_duplicate: bool = False

    def _route_id(self, name: str) -> int | None:
        """The record id in the page's URL, or None when it cannot be an id."""
        try:
            return inputs.record_id(self.rx_router_page.params.get(name, ""))
        except Invalid:
            return None

    def _not_found(self) -> None:
        """Missing and out of scope look the same; nothing of the record stays in the page."""
        self.reset()
        self.page_status = "not_found"

    def _lost_access(self, typed: Mapping[str, Any] | None = None) -> None:
        """The record vanished from this person's scope while the page was open: clear it,
        say why, and hand back anything they had typed and not yet saved."""
        reason = self._ended_reason()
        self.reset()
        self.page_status = "access_ended"
        self.ended_reason = reason
        self.unsent = typed_back(typed)

    def _ended_reason(self) -> str:
        """Why the page's record left this person's reach; pages that know say more."""
        return ""

    def _refresh(self) -> None:
        """Reload the page's view data after a change; each page defines it."""

    # Live updates (state/live.py): what the page shows, and loading it again on a push.

    def _live_topics(self) -> tuple[str, ...]:
        """The records on screen, as topics (portal/services/live.py); pages showing one
        record name it. Every page also follows its person and firm (see enter_page)."""
        return ()

    def _follow(self) -> None:
        """After a successful load: changes to the records on screen reach this tab."""
        topics = self._live_topics()
        if topics:
            live_pages.listen(self.router.session.client_token, topics)

    def _live_reload(self) -> None:
        """Something this page shows changed: load it again through its own scoped loader,
        as on a click (a record now out of reach clears the page and says why). What the
        person is typing is in the browser and stays; an open editor keeps what it saw."""
        if self.page_status == "ok":
            self._refresh_after(None)

    def _load(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """A page loader's call: its answer, or None after saying why there is none."""
        try:
            return call(fn, **kwargs)
        except NotFound:
            self._not_found()
        except ServiceError as exc:
            self.error = exc.message
        return None

    def _rotate_token(self) -> None:
        self.submit_token = new_token()

    # Running changes.

    def _act(
        self,
        fn: Callable[..., Any],
        /,
        *,
        token: object = None,
        success: str = "",
        typed: Mapping[str, Any] | None = None,
        editor: str = "",
        shown: Callable[[Any], None] | None = None,
        **kwargs: Any,
    ) -> Once | None:
        """Run one change as the acting user, then refresh. A refusal becomes a message and
        changes nothing; a record that is no longer reachable ends the page. With a token,
        a repeat of a submission already handled runs nothing and changes no message. With
        `shown`, the page updates only what the change returned instead of reloading."""
        return self._settle(attempt(fn, token, kwargs), success, typed, editor, shown)

    async def _act_async(
        self,
        fn: Callable[..., Any],
        /,
        *,
        token: object = None,
        success: str = "",
        typed: Mapping[str, Any] | None = None,
        editor: str = "",
        **kwargs: Any,
    ) -> Once | None:
        """The same, with the call off the event loop (password hashing, mail servers)."""
        outcome = await asyncio.to_thread(attempt, fn, token, kwargs)
        return self._settle(outcome, success, typed, editor)

    def _submit(
        self,
        form: Mapping[str, Any],
        fn: Callable[..., Any],
        /,
        *,
        success: str = "",
        editor: str = "",
        **kwargs: Any,
    ) -> Once | None:
        """A form's submission: its token comes with it, and what was typed is kept."""
        bad = [name for name in str(form.get("_bad_dates") or "").split(",") if name]
        if bad:
            # The browser sends an impossible date (02/30/2026) as empty: refuse, never drop.
            self._rotate_token()
            self.notice = ""
            self.error = (
                f"{DATE_LABELS.get(bad[0], 'The date')} is not a real date. Check the day and "
                "the month, or clear the field."
            )
            return None
        return self._act(
            fn,
            token=str(form.get("_token") or ""),
            success=success,
            typed=form,
            editor=editor,
            **kwargs,
        )

    def _settle(
        self,
        outcome: Attempt,
        success: str,
        typed: Mapping[str, Any] | None,
        editor: str,
        shown: Callable[[Any], None] | None = None,
    ) -> Once | None:
        self._rotate_token()
        if outcome.error is None:
            done = outcome.done
            if not done.repeat:
                self.error = ""
                self.confirm_duplicate = False
                self.notice = success
                if editor:
                    self._close_editor(editor)
                if shown is not None:
                    shown(done.result)
                else:
                    self._refresh_after(typed)
            return done
        exc = outcome.error
        self.confirm_duplicate = isinstance(exc, Duplicate)
        if isinstance(exc, NotFound):
            self._after_not_found(typed)
            return None
        self.notice = ""
        self.error = exc.message
        if isinstance(exc, Conflict):
            if editor:
                self._note_conflict(editor, typed, exc)
            # The page shows the truth at once: pickers and badges move to what now holds.
            self._refresh_after(typed)
        return None

    def _refresh_after(self, typed: Mapping[str, Any] | None) -> None:
        try:
            self._refresh()
        except NotFound:
            self._lost_access(typed)
        except ServiceError as exc:
            self.error = exc.message

    def _after_not_found(
        self, typed: Mapping[str, Any] | None = None, message: str = LOST_ITEM
    ) -> None:
        """Either one item went stale (refresh, say so, and show back what was typed for it)
        or the page's own record is out of reach now (clear everything, say why)."""
        try:
            self._refresh()
        except NotFound:
            self._lost_access(typed)
            return
        except ServiceError as exc:
            self.error = exc.message
            return
        self.notice = ""
        self.error = message
        self.unsent = typed_back(typed)

    def _close_editor(self, editor: str) -> None:
        """Pages with editors (EditorMixin) forget a closed editor's snapshot."""

    def _note_conflict(self, editor: str, typed: Mapping[str, Any] | None, exc: Conflict):
        """Pages with editors (EditorMixin) keep what clashed for a reload."""

    # Ids and choices from the browser.

    def _id(self, value: object) -> int | None:
        """An id sent by the browser, checked to be a plausible id before any service sees it."""
        try:
            return inputs.record_id(value)
        except Invalid:
            self.error = "That item no longer exists. Reload the page."
            return None

    def _pick(self, value: object) -> tuple[bool, int | None]:
        """A choice from a picker where empty means "nobody": (valid, id or None)."""
        if not str(value or "").strip():
            return True, None
        ident = self._id(value)
        return ident is not None, ident


class EditorMixin(PageMixin, mixin=True):
    """Pages that edit shared records in place: the client page and the filing page."""

    # After a conflict: the editor whose save clashed, and (once the person reloaded it) the
    # person's own entries for the fields that clashed, shown beside the fresh values.
    conflict_editor: str = ""
    mine: dict[str, str] = {}
    # Bumped to remount an editor, so its fields show the values it was reloaded with.
    editor_rev: int = 0
    # What each open editor showed when it was opened: the "seen" side of compare-and-set.
    _seen: dict[str, dict[str, Any]] = {}
    _draft: dict[str, str] = {}
    # The fields whose entries go beside the reloaded editor: what clashed, and what else
    # the person changed (the reload shows every field fresh, so those would be lost too).
    _kept: tuple[str, ...] = ()

    # Editors: compare-and-set against what the person saw when they opened the editor.

    def _editor_values(self, editor: str) -> dict[str, Any]:
        """The values an editor shows, from the page's loaded data; each page defines it."""
        return {}

    def _open_editor(self, editor: str) -> bool:
        """Open an editor on fresh data, remembering what it shows; False when the record
        could not be loaded (the page then says why)."""
        try:
            self._refresh()
        except NotFound:
            self._lost_access()
            return False
        except ServiceError as exc:
            self.error = exc.message
            return False
        self._seen = {**self._seen, editor: self._editor_values(editor)}
        if self.conflict_editor == editor:
            self.conflict_editor = ""
            self.mine = {}
        self.editor_rev += 1
        return True

    def _toggle_editor(self, editor: str, is_open: bool) -> bool:
        """Close an open editor, or open a closed one on fresh data; whether it is open now."""
        self.error = ""
        self.notice = ""
        if is_open:
            self._close_editor(editor)
            return False
        return self._open_editor(editor)

    def _note_conflict(self, editor: str, typed: Mapping[str, Any] | None, exc: Conflict):
        self.conflict_editor = editor
        self._draft = {k: str(v) for k, v in (typed or {}).items() if k[:1] != "_"}
        seen = self._seen.get(editor) or {}
        changed = (
            name
            for name, was in seen.items()
            if name in self._draft and self._draft[name] != str(was or "")
        )
        self._kept = tuple(dict.fromkeys((*exc.fields, *changed)))

    def _close_editor(self, editor: str) -> None:
        self._seen = {k: v for k, v in self._seen.items() if k != editor}
        if self.conflict_editor == editor:
            self.conflict_editor = ""
            self.mine = {}

    def _seen_by(self, editor: str) -> dict[str, Any]:
        return dict(self._seen.get(editor) or self._editor_values(editor))

    @rx.event
    def reload_editor(self):
        """After a conflict: load the fresh record into the editor, with the person's own
        entries for the fields that clashed kept beside it."""
        editor = self.conflict_editor
        if not editor:
            return
        self.error = ""
        if not self._open_editor(editor):
            return
        self.conflict_editor = editor
        self.mine = {name: self._draft.get(name, "") for name in self._kept}
        self.notice = (
            "The latest version is loaded. Your own entries are shown beside the fields "
            "you changed; copy what you need and save again."
        )


class PagedMixin(PageMixin, mixin=True):
    """A list shown a page at a time. Each page state defines `_fetch(page)`."""

    total: int = 0
    page: int = 1
    pages: int = 1

    def _fetch(self, page: int) -> None:
        """Load the given page of the list; each page state defines it."""

    def _paged(self, result) -> None:
        self.total = result.total
        self.page = result.page
        self.pages = result.pages

    def _live_reload(self) -> None:
        if self.page_status == "ok":
            self._fetch(self.page)

    @rx.event
    def next_page(self):
        self._fetch(self.page + 1)

    @rx.event
    def previous_page(self):
        self._fetch(self.page - 1)
