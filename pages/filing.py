"""A filing, for staff: lifecycle, reviewer and approver, steps, documents, discussion."""

from __future__ import annotations

import reflex as rx

from pages.components import (
    action_button,
    date_field,
    empty_state,
    field,
    hidden,
    messages,
    native_select,
    reload_latest,
    section,
    select_field,
    status_badge,
    submit_form,
    textarea_field,
    your_entry,
)
from pages.discussion import discussion
from pages.documents import document_list
from pages.filing_recurrence import recurrence_panel
from pages.layout import shell
from pages.review_panel import review_panel
from pages.step_assignee import assignee_picker
from pages.step_card import step_summary, step_work
from state.filing import FilingState as S


def _person_picker(label: str, value, handler) -> rx.Component:
    return rx.hstack(
        rx.el.label(label, html_for=label.lower(), class_name="field-label"),
        native_select(
            S.reviewers,
            id=label.lower(),
            value_of=lambda p: p.id.to_string(),
            label_of=lambda p: p.label,
            empty="Nobody",
            value=rx.cond(value > 0, value.to_string(), ""),
            on_change=lambda choice: handler(value.to_string(), choice),
        ),
        align="center",
        spacing="2",
    )


def _lifecycle() -> rx.Component:
    return rx.hstack(
        rx.cond(
            S.filing.is_active,
            rx.hstack(
                action_button("Mark as filed", S.file_filing(S.submit_token, S.filing.status)),
                action_button(
                    "Cancel filing",
                    S.cancel_filing(S.submit_token, S.filing.status),
                    variant="soft",
                    color_scheme="red",
                ),
            ),
            action_button(
                "Reopen filing", S.reopen_filing(S.submit_token, S.filing.status), variant="soft"
            ),
        ),
        rx.button("Edit details", variant="outline", on_click=S.toggle_edit_filing),
        spacing="3",
        wrap="wrap",
    )


def _with_entry(name: str, control: rx.Component) -> rx.Component:
    """A field of the filing editor, with the person's own entry beside it after a conflict."""
    return rx.box(control, your_entry(S, "filing", name))


def _edit_filing() -> rx.Component:
    return rx.cond(
        S.editing_filing,
        rx.card(
            submit_form(
                rx.hstack(
                    _with_entry(
                        "kind",
                        select_field(
                            "Kind",
                            name="kind",
                            options=S.kinds,
                            default_value=S.filing.kind,
                            id="edit-kind",
                        ),
                    ),
                    _with_entry(
                        "period",
                        field(
                            "Period", name="period", default_value=S.filing.period, id="edit-period"
                        ),
                    ),
                    _with_entry(
                        "due_date",
                        date_field(
                            "Due date",
                            name="due_date",
                            default_value=S.filing.due_iso,
                            id="edit-due",
                        ),
                    ),
                    align="start",
                    wrap="wrap",
                ),
                rx.hstack(
                    rx.button("Save filing", type="submit"),
                    rx.button(
                        "Cancel", type="button", variant="soft", on_click=S.toggle_edit_filing
                    ),
                    reload_latest(S, "filing"),
                    margin_top="0.75em",
                    wrap="wrap",
                ),
                on_submit=S.save_filing,
                form_id="edit-filing",
                key="edit-filing-" + S.editor_rev.to_string(),
                aria_label="Edit filing",
            )
        ),
    )


def _manage_step(step) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.spacer(),
            action_button(
                "Move up",
                S.move_step(S.submit_token, step.id, "up"),
                variant="ghost",
                size="1",
                aria_label="Move " + step.title + " up",
            ),
            action_button(
                "Move down",
                S.move_step(S.submit_token, step.id, "down"),
                variant="ghost",
                size="1",
                aria_label="Move " + step.title + " down",
            ),
            rx.button(
                "Edit",
                variant="ghost",
                size="1",
                on_click=S.start_edit_step(step.id),
                aria_label="Edit " + step.title,
            ),
            action_button(
                "Remove",
                S.remove_step(S.submit_token, step.id),
                variant="ghost",
                size="1",
                color_scheme="red",
                aria_label="Remove " + step.title,
            ),
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            S.editing_step == step.id,
            submit_form(
                hidden("step_id", step.id),
                field(
                    "Title",
                    name="title",
                    default_value=step.title,
                    id="title-" + step.id.to_string(),
                ),
                your_entry(S, "step-" + step.id.to_string(), "title"),
                date_field(
                    "Due date",
                    name="due_date",
                    default_value=step.due_iso,
                    id="due-" + step.id.to_string(),
                ),
                your_entry(S, "step-" + step.id.to_string(), "due_date"),
                textarea_field(
                    "Description",
                    name="description",
                    default_value=step.description,
                    id="description-" + step.id.to_string(),
                ),
                your_entry(S, "step-" + step.id.to_string(), "description"),
                rx.hstack(
                    rx.button("Save step", type="submit"),
                    rx.button("Cancel", type="button", variant="soft", on_click=S.cancel_edit_step),
                    reload_latest(S, "step-" + step.id.to_string()),
                    wrap="wrap",
                ),
                on_submit=S.save_step,
                form_id="edit-step-" + step.id.to_string(),
                key="edit-step-" + step.id.to_string() + "-" + S.editor_rev.to_string(),
                aria_label="Edit " + step.title,
            ),
        ),
        spacing="3",
        width="100%",
        align="stretch",
    )


def _step(step) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.el.details(
                rx.el.summary(step_summary(step)),
                rx.vstack(
                    _manage_step(step),
                    step_work(step, S, manage=True),
                    spacing="4",
                    width="100%",
                    align="stretch",
                ),
                class_name="step",
                style={"flex": "1 1 24em", "min_width": "0"},
            ),
            # On the row itself, open or not (pages/step_assignee.py).
            assignee_picker(step),
            align="start",
            gap="3",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
    )


def _add_step() -> rx.Component:
    return rx.card(
        submit_form(
            rx.heading("Add a step", as_="h3", size="3"),
            rx.hstack(
                field("Step title", name="title", id="new-step-title"),
                date_field("Due date", name="due_date", id="new-step-due"),
                select_field(
                    "Assign to",
                    name="assignee_id",
                    id="new-step-assignee",
                    options=S.assignees,
                    value_of=lambda p: p.id.to_string(),
                    label_of=lambda p: p.label,
                    empty="Unassigned",
                ),
                align="end",
                wrap="wrap",
                width="100%",
            ),
            textarea_field("Description", name="description", id="new-step-description", rows=2),
            rx.button("Add step", type="submit", margin_top="0.5em"),
            on_submit=S.add_step,
            form_id="add-step",
            aria_label="Add a step",
        ),
        width="100%",
    )


def filing_page() -> rx.Component:
    return shell(
        rx.hstack(
            rx.link("Clients", href="/clients"),
            rx.text("/"),
            rx.link(S.filing.client_name, href=S.filing.client_url),
            spacing="2",
            aria_label="Breadcrumb",
        ),
        rx.hstack(
            rx.heading(S.filing.heading, as_="h1", size="6"),
            status_badge(S.filing.status_label, S.filing.status),
            align="center",
            wrap="wrap",
        ),
        rx.hstack(
            rx.cond(S.filing.due_label != "", rx.text("Due ", S.filing.due_label)),
            _person_picker("Reviewer", S.filing.reviewer_id, S.set_reviewer),
            _person_picker("Approver", S.filing.approver_id, S.set_approver),
            spacing="5",
            align="center",
            wrap="wrap",
        ),
        recurrence_panel(),
        _lifecycle(),
        _edit_filing(),
        messages(S),
        review_panel(S),
        section(
            "Steps",
            rx.cond(
                S.steps.length() > 0,
                rx.vstack(rx.foreach(S.steps, _step), spacing="3", width="100%"),
                empty_state("No steps yet", "Split this filing into steps and assign them."),
            ),
            rx.cond(S.filing.is_active, _add_step()),
        ),
        section("Documents", document_list(S.documents, on_download=S.download)),
        section("Discussion", discussion(S)),
    )
