"""Small building blocks every page shares: labelled fields, messages, empty states, and
the forms and action buttons that submit once."""

from __future__ import annotations

import reflex as rx

from state.session import SessionState

# Dates are accepted between these on every form, create and edit alike (the server checks).
DATE_MIN = "1900-01-01"
DATE_MAX = "2100-12-31"


def field(
    label: str,
    *,
    name: str,
    type: str = "text",
    autocomplete: str = "off",
    hint: str = "",
    **props,
) -> rx.Component:
    """A labelled input; the label is tied to the input so screen readers announce it."""
    field_id = props.pop("id", name)
    children = [
        rx.el.label(label, html_for=field_id, class_name="field-label"),
        rx.input(
            id=field_id,
            name=name,
            type=type,
            auto_complete=autocomplete,
            size="3",
            width="100%",
            **({"aria_describedby": f"{field_id}-hint"} if hint else {}),
            **props,
        ),
    ]
    if hint:
        children.append(rx.text(hint, id=f"{field_id}-hint", size="1", color_scheme="gray"))
    return rx.vstack(*children, spacing="1", width="100%", align="stretch")


def date_field(label: str, *, name: str, **props) -> rx.Component:
    """A date picker bounded like the server's check."""
    return field(label, name=name, type="date", min=DATE_MIN, max=DATE_MAX, **props)


def once_attrs() -> dict:
    """Marks a form or button for assets/submit_once.js: busy while its event runs, and a
    repeat with the same token is dropped."""
    return {"data-once": "", "data-token": SessionState.submit_token}


def submit_form(*children, on_submit, form_id, **props) -> rx.Component:
    """A form that submits once and keeps what was typed until the server says it saved.

    It carries the page's submission token (the server runs a repeat of the same token and
    values only once) and its own id (so a success can clear exactly this form). It never
    resets itself on submit: a refusal must leave the person's text in place.
    """
    props.setdefault("no_validate", True)
    return rx.form(
        rx.el.input(type="hidden", name="_token", value=SessionState.submit_token),
        rx.el.input(type="hidden", name="_form", value=form_id),
        *children,
        on_submit=on_submit,
        id=form_id,
        reset_on_submit=False,
        custom_attrs=once_attrs(),
        **props,
    )


def action_button(label, on_click, **props) -> rx.Component:
    """A button whose click is a submission: `on_click` gets the page's token as its first
    argument, so a double click is one action."""
    return rx.button(label, on_click=on_click, custom_attrs=once_attrs(), **props)


def callout(*children, icon: str | None = None, **props) -> rx.Component:
    """A callout that may hold any content: text, links, paragraphs, stacks, buttons.

    Use this, never `rx.callout`: that one wraps its content in Radix's Callout.Text, a <p>.
    A <p> or <div> put inside it is markup the browser's HTML parser rewrites when it reads
    the prerendered page, so React's hydration no longer matches the DOM (React error #418)
    and the page is thrown away and re-rendered. Here the text part renders as a <div>."""
    parts = [rx.callout.icon(rx.icon(tag=icon))] if icon else []
    parts.append(rx.callout.text(*children, custom_attrs={"as": "div"}))
    return rx.callout.root(*parts, **props)


def error_message(message: rx.Var) -> rx.Component:
    """A server-side refusal or validation message, announced as soon as it appears."""
    return rx.cond(
        message != "",
        callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
    )


def notice_message(message: rx.Var) -> rx.Component:
    return rx.cond(
        message != "",
        callout(message, icon="info", color_scheme="blue", role="status", width="100%"),
    )


def empty_state(title: str, text: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, as_="h2", size="4"),
        rx.text(text, color_scheme="gray"),
        padding="2em",
        align="center",
        width="100%",
        class_name="empty-state",
    )


def textarea_field(label: str, *, name: str, rows: int = 3, **props) -> rx.Component:
    field_id = props.pop("id", name)
    return rx.vstack(
        rx.el.label(label, html_for=field_id, class_name="field-label"),
        rx.text_area(id=field_id, name=name, rows=str(rows), width="100%", **props),
        spacing="1",
        width="100%",
        align="stretch",
    )


def select_field(
    label: str,
    *,
    name: str,
    options: rx.Var | list,
    value_of=None,
    label_of=None,
    empty: str | None = None,
    **props,
) -> rx.Component:
    """A native select with its label: keyboard and screen-reader friendly as it comes.
    `options` is a list of strings, or a Var list of records with `value_of`/`label_of`."""
    field_id = props.pop("id", name)
    return rx.vstack(
        rx.el.label(label, html_for=field_id, class_name="field-label"),
        native_select(
            options,
            name=name,
            id=field_id,
            value_of=value_of,
            label_of=label_of,
            empty=empty,
            **props,
        ),
        spacing="1",
        width="100%",
        align="stretch",
    )


def native_select(
    options: rx.Var | list, *, value_of=None, label_of=None, empty: str | None = None, **props
) -> rx.Component:
    choices = []
    if empty is not None:
        choices.append(rx.el.option(empty, value=""))
    if isinstance(options, list):
        for option in options:
            value, text = option if isinstance(option, tuple) else (option, option)
            choices.append(rx.el.option(text, value=value))
    else:
        choices.append(
            rx.foreach(
                options,
                lambda o: rx.el.option(
                    label_of(o) if label_of else o, value=value_of(o) if value_of else o
                ),
            )
        )
    return rx.el.select(*choices, class_name="native-select", **props)


def messages(state) -> rx.Component:
    """A page's refusal and confirmation messages, announced to screen readers."""
    return rx.fragment(error_message(state.error), notice_message(state.notice))


STATUS_COLORS = {
    "todo": "gray",
    "in_progress": "blue",
    "waiting_on_client": "amber",
    "done": "green",
    "open": "blue",
    "in_review": "violet",
    "filed": "green",
    "cancelled": "gray",
}
DUE_COLORS = {"overdue": "red", "soon": "amber", "later": "gray", "none": "gray", "done": "green"}


def status_badge(label, status) -> rx.Component:
    return rx.match(
        status,
        *[(key, rx.badge(label, color_scheme=color)) for key, color in STATUS_COLORS.items()],
        rx.badge(label),
    )


def due_badge(label, state) -> rx.Component:
    return rx.match(
        state,
        *[
            (key, rx.badge(label, color_scheme=color, variant="outline"))
            for key, color in DUE_COLORS.items()
        ],
        rx.badge(label, variant="outline"),
    )


def section(title: str, *children: rx.Component, actions: rx.Component | None = None):
    return rx.el.section(
        rx.hstack(
            rx.heading(title, as_="h2", size="4"),
            rx.spacer(),
            actions if actions is not None else rx.fragment(),
            align="center",
            width="100%",
        ),
        rx.vstack(*children, spacing="3", width="100%", align="stretch"),
        class_name="page-section",
        aria_label=title,
    )


def counter(label: str, value, tone: str = "gray") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray"),
            rx.text(value, size="7", weight="bold", color_scheme=tone),
            spacing="1",
        ),
        min_width="10em",
    )


def hidden(name: str, value) -> rx.Component:
    return rx.el.input(type="hidden", name=name, value=value)


def pager(state, noun: str, *, back: str = "Previous", forward: str = "Next") -> rx.Component:
    """Previous/next buttons and where the reader is, announced when it changes."""
    return rx.hstack(
        rx.button(back, variant="soft", on_click=state.previous_page, disabled=state.page <= 1),
        rx.text(
            "Page ",
            state.page,
            " of ",
            state.pages,
            " · ",
            state.total,
            f" {noun}",
            aria_live="polite",
        ),
        rx.button(
            forward, variant="soft", on_click=state.next_page, disabled=state.page >= state.pages
        ),
        align="center",
        spacing="3",
    )


def active_badge(is_active) -> rx.Component:
    return rx.cond(
        is_active,
        rx.badge("Active", color_scheme="green"),
        rx.badge("Deactivated", color_scheme="gray"),
    )


def login_status(person) -> rx.Component:
    """A login's state: "Invited" (with its link's validity), "Active" or "Deactivated"."""
    return rx.match(
        person.status,
        ("invited", rx.badge(person.status_label, color_scheme="amber")),
        ("deactivated", rx.badge("Deactivated", color_scheme="gray")),
        ("archived", rx.badge(person.status_label, color_scheme="gray", variant="outline")),
        rx.badge("Active", color_scheme="green"),
    )


def your_entry(state, editor, name: str) -> rx.Component:
    """After a conflict and a reload: what the person had typed for this field, beside the
    value now saved, read-only and easy to copy."""
    return rx.cond(
        (state.conflict_editor == editor) & state.mine.contains(name),
        rx.box(
            rx.text("Your entry (not saved):", size="1", weight="medium"),
            rx.text(state.mine[name], size="2", white_space="pre-wrap", class_name="your-entry"),
            class_name="your-entry-box",
        ),
    )


def reload_latest(state, editor) -> rx.Component:
    """Offered beside an editor whose save clashed with someone else's."""
    return rx.cond(
        (state.conflict_editor == editor) & (state.mine.length() == 0),
        rx.button(
            "Load the latest version, keeping my entries beside it",
            type="button",
            variant="soft",
            color_scheme="amber",
            on_click=state.reload_editor,
        ),
    )


def confirm_duplicate(state) -> rx.Component:
    """Shown once the server said this looks like a record that exists."""
    return rx.cond(
        state.confirm_duplicate,
        rx.checkbox("Save it anyway: it is a different client", name="allow_duplicate"),
    )


def unsent_texts(state) -> rx.Component:
    """What the person typed that could not be saved, handed back to copy."""
    return rx.cond(
        state.unsent.length() > 0,
        callout(
            rx.vstack(
                rx.text(
                    "This was not saved. Copy what you need before you leave the page:",
                    weight="medium",
                ),
                rx.foreach(
                    state.unsent,
                    lambda item: rx.vstack(
                        rx.el.label(item.label, class_name="field-label"),
                        rx.text_area(
                            value=item.text,
                            read_only=True,
                            rows="3",
                            width="100%",
                            aria_label=item.label + " (not saved)",
                        ),
                        spacing="1",
                        width="100%",
                    ),
                ),
                rx.button(
                    "I have copied it", size="1", variant="soft", on_click=state.dismiss_unsent
                ),
                spacing="2",
                width="100%",
            ),
            icon="clipboard",
            color_scheme="amber",
            role="status",
            width="100%",
        ),
    )


def file_drop(label: str, *children: rx.Component, **props) -> rx.Component:
    """rx.upload whose hidden file input has a spoken name. Reflex makes that input itself
    with no way to pass it attributes, so it is named here, after it is made (axe: every
    form control has a label, hidden or not)."""
    upload = rx.upload(*children, **props)
    zone = upload.children[0]
    file_input = zone.children[0]
    file_input.custom_attrs["aria-label"] = label
    return upload


def table_region(label: str, *children: rx.Component, **props) -> rx.Component:
    """A table that may be wider than a phone: it scrolls sideways inside a labelled region
    that takes the keyboard focus, so it can be scrolled without a mouse (WCAG 2.1.1), and
    the page itself never does. (Radix's own scroll box around a table cannot be focused.)"""
    return rx.el.div(
        rx.table.root(*children, width="100%", **props),
        role="region",
        aria_label=label,
        tab_index=0,
        class_name="table-region",
    )
