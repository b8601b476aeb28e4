"""A filing, for staff: lifecycle, reviewer and approver, steps, documents, discussion."""

from __future__ import annotations

import reflex as rx

from pages.components import (
    empty_state,
    field,
    hidden,
    messages,
    native_select,
    section,
    select_field,
    status_badge,
    textarea_field,
)
from pages.discussion import discussion
from pages.documents import document_list
from pages.layout import shell
from pages.step_card import step_summary, step_work
from state.filing import FilingState as S


def _person_picker(label: str, value, on_change) -> rx.Component:
    return rx.hstack(
        rx.el.label(label, html_for=label.lower(), class_name="field-label"),
        native_select(
            S.reviewers,
            id=label.lower(),
            value_of=lambda p: p.id.to_string(),
            label_of=lambda p: p.label,
            empty="Nobody",
            value=rx.cond(value > 0, value.to_string(), ""),
            on_change=on_change,
        ),
        align="center",
        spacing="2",
    )


def _lifecycle() -> rx.Component:
    return rx.hstack(
        rx.cond(
            S.filing.is_active,
            rx.hstack(
                rx.button("Mark as filed", on_click=S.file_filing),
                rx.button(
                    "Cancel filing", variant="soft", color_scheme="red", on_click=S.cancel_filing
                ),
            ),
            rx.button("Reopen filing", variant="soft", on_click=S.reopen_filing),
        ),
        rx.button("Edit details", variant="outline", on_click=S.toggle_edit_filing),
        spacing="3",
        wrap="wrap",
    )


def _edit_filing() -> rx.Component:
    return rx.cond(
        S.editing_filing,
        rx.card(
            rx.form(
                rx.hstack(
                    select_field(
                        "Kind", name="kind", options=S.kinds, value=S.filing.kind, id="edit-kind"
                    ),
                    field("Period", name="period", default_value=S.filing.period, id="edit-period"),
                    field(
                        "Due date",
                        name="due_date",
                        type="date",
                        default_value=S.filing.due_iso,
                        id="edit-due",
                    ),
                    align="end",
                    wrap="wrap",
                ),
                rx.hstack(
                    rx.button("Save filing", type="submit"),
                    rx.button(
                        "Cancel", type="button", variant="soft", on_click=S.toggle_edit_filing
                    ),
                    margin_top="0.75em",
                ),
                on_submit=S.save_filing,
                aria_label="Edit filing",
            )
        ),
    )


def _manage_step(step) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.el.label(
                "Assignee", html_for="assignee-" + step.id.to_string(), class_name="field-label"
            ),
            native_select(
                S.assignees,
                id="assignee-" + step.id.to_string(),
                value_of=lambda p: p.id.to_string(),
                label_of=lambda p: p.label,
                empty="Unassigned",
                value=rx.cond(step.assignee_id > 0, step.assignee_id.to_string(), ""),
                on_change=lambda value: S.assign_step(step.id, value),
                aria_label="Assignee for " + step.title,
            ),
            rx.spacer(),
            rx.button(
                "Move up",
                variant="ghost",
                size="1",
                on_click=S.move_step(step.id, "up"),
                aria_label="Move " + step.title + " up",
            ),
            rx.button(
                "Move down",
                variant="ghost",
                size="1",
                on_click=S.move_step(step.id, "down"),
                aria_label="Move " + step.title + " down",
            ),
            rx.button(
                "Edit",
                variant="ghost",
                size="1",
                on_click=S.start_edit_step(step.id),
                aria_label="Edit " + step.title,
            ),
            rx.button(
                "Remove",
                variant="ghost",
                size="1",
                color_scheme="red",
                on_click=S.remove_step(step.id),
                aria_label="Remove " + step.title,
            ),
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            S.editing_step == step.id,
            rx.form(
                hidden("step_id", step.id),
                hidden("version", step.version),
                field(
                    "Title",
                    name="title",
                    default_value=step.title,
                    id="title-" + step.id.to_string(),
                ),
                field(
                    "Due date",
                    name="due_date",
                    type="date",
                    default_value=step.due_iso,
                    id="due-" + step.id.to_string(),
                ),
                textarea_field(
                    "Description",
                    name="description",
                    default_value=step.description,
                    id="description-" + step.id.to_string(),
                ),
                rx.hstack(
                    rx.button("Save step", type="submit"),
                    rx.button("Cancel", type="button", variant="soft", on_click=S.cancel_edit_step),
                ),
                on_submit=S.save_step,
                aria_label="Edit " + step.title,
            ),
        ),
        spacing="3",
        width="100%",
        align="stretch",
    )


def _step(step) -> rx.Component:
    return rx.card(
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
        ),
        width="100%",
    )


def _add_step() -> rx.Component:
    return rx.card(
        rx.form(
            rx.heading("Add a step", as_="h3", size="3"),
            rx.hstack(
                field("Step title", name="title", id="new-step-title"),
                field("Due date", name="due_date", type="date", id="new-step-due"),
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
            reset_on_submit=True,
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
        _lifecycle(),
        _edit_filing(),
        messages(S),
        section(
            "Steps",
            rx.cond(
                S.steps.length() > 0,
                rx.vstack(rx.foreach(S.steps, _step), spacing="3", width="100%"),
                empty_state("No steps yet", "Split this filing into steps and assign them."),
            ),
            rx.cond(S.filing.is_active, _add_step()),
        ),
        section("Documents", document_list(S.documents)),
        section("Discussion", discussion(S)),
    )
