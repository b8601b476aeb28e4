"""One step and the work on it. The staff filing page and the bookkeeper's task page both
render steps with this; only the staff version carries the controls that manage steps."""

from __future__ import annotations

import reflex as rx

from pages.components import (
    action_button,
    callout,
    date_field,
    due_badge,
    field,
    hidden,
    native_select,
    status_badge,
    submit_form,
    textarea_field,
)

STATUS_OPTIONS = [
    ("todo", "To do"),
    ("in_progress", "In progress"),
    ("waiting_on_client", "Waiting on client"),
    ("done", "Done"),
]


def status_control(step, state) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.el.label("Status", html_for=f"status-{step.id}", class_name="field-label"),
            native_select(
                STATUS_OPTIONS,
                id="status-" + step.id.to_string(),
                value=step.status,
                on_change=lambda value: state.set_step_status(step.id, step.status, value),
                aria_label="Status of " + step.title,
            ),
            align="center",
            spacing="2",
        ),
        rx.cond(
            state.waiting_step == step.id,
            submit_form(
                hidden("step_id", step.id),
                hidden("expected", step.status),
                textarea_field(
                    "What are you waiting for from the client?",
                    name="reason",
                    id="reason-" + step.id.to_string(),
                    rows=2,
                ),
                rx.hstack(
                    rx.button("Mark waiting on client", type="submit", size="2"),
                    rx.button(
                        "Cancel",
                        type="button",
                        variant="soft",
                        size="2",
                        on_click=state.cancel_waiting,
                    ),
                ),
                on_submit=state.mark_waiting,
                form_id="waiting-" + step.id.to_string(),
                aria_label="Waiting on client",
            ),
        ),
        rx.cond(
            step.status == "waiting_on_client",
            callout(
                "Waiting on client: " + step.waiting_reason, icon="clock", color_scheme="amber"
            ),
        ),
        spacing="2",
        align="stretch",
        width="100%",
    )


def checklist(step, state, manage: bool) -> rx.Component:
    def item(entry) -> rx.Component:
        return rx.hstack(
            rx.checkbox(
                entry.label,
                checked=entry.is_done,
                on_change=lambda checked: state.tick(entry.id, checked),
            ),
            rx.cond(entry.is_done, rx.text("by ", entry.done_by, size="1", color_scheme="gray")),
            rx.spacer(),
            action_button(
                "Remove",
                state.remove_checklist_item(state.submit_token, entry.id),
                variant="ghost",
                size="1",
                color_scheme="red",
                aria_label="Remove checklist item " + entry.label,
            )
            if manage
            else rx.fragment(),
            align="center",
            width="100%",
        )

    children = [
        rx.heading("Checklist", as_="h3", size="3"),
        rx.cond(
            step.checklist.length() > 0,
            rx.vstack(rx.foreach(step.checklist, item), spacing="1", width="100%"),
            rx.text("No checklist items.", color_scheme="gray", size="2"),
        ),
    ]
    if manage:
        children.append(
            submit_form(
                hidden("step_id", step.id),
                rx.hstack(
                    rx.input(
                        name="label",
                        placeholder="New checklist item",
                        aria_label="New checklist item for " + step.title,
                        width="100%",
                    ),
                    rx.button("Add item", type="submit", variant="soft"),
                    width="100%",
                ),
                on_submit=state.add_checklist_item,
                form_id="checklist-" + step.id.to_string(),
                aria_label="Add a checklist item to " + step.title,
            )
        )
    return rx.vstack(*children, spacing="2", width="100%", align="stretch")


def time_log(step, state) -> rx.Component:
    def entry(row) -> rx.Component:
        return rx.table.row(
            rx.table.cell(row.work_date_label),
            rx.table.cell(row.person),
            rx.table.cell(row.minutes_label),
            rx.table.cell(row.note),
            rx.table.cell(
                rx.cond(
                    row.mine,
                    rx.hstack(
                        rx.button(
                            "Edit",
                            variant="ghost",
                            size="1",
                            on_click=state.start_edit_time(row.id),
                            aria_label="Edit time entry of " + row.work_date_label,
                        ),
                        action_button(
                            "Delete",
                            state.delete_time(state.submit_token, row.id),
                            variant="ghost",
                            size="1",
                            color_scheme="red",
                            aria_label="Delete time entry of " + row.work_date_label,
                        ),
                    ),
                )
            ),
        )

    def edit_form(row) -> rx.Component:
        return rx.cond(
            state.editing_entry == row.id,
            submit_form(
                hidden("entry_id", row.id),
                rx.hstack(
                    field(
                        "Time spent",
                        name="minutes",
                        default_value=row.minutes_label,
                        id="edit-minutes-" + row.id.to_string(),
                    ),
                    date_field(
                        "Date",
                        name="work_date",
                        default_value=row.work_date_iso,
                        id="edit-date-" + row.id.to_string(),
                    ),
                    field(
                        "Note",
                        name="note",
                        default_value=row.note,
                        id="edit-note-" + row.id.to_string(),
                    ),
                    rx.button("Save time", type="submit"),
                    rx.button(
                        "Cancel", type="button", variant="soft", on_click=state.cancel_edit_time
                    ),
                    align="end",
                    wrap="wrap",
                ),
                on_submit=state.update_time,
                form_id="edit-time-" + row.id.to_string(),
                aria_label="Edit time entry",
            ),
        )

    return rx.vstack(
        rx.hstack(
            rx.heading("Time", as_="h3", size="3"),
            rx.text("Total ", step.total_time_label, size="2", color_scheme="gray"),
            align="baseline",
        ),
        rx.cond(
            step.time.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Date"),
                        rx.table.column_header_cell("Who"),
                        rx.table.column_header_cell("Time"),
                        rx.table.column_header_cell("Note"),
                        rx.table.column_header_cell(rx.el.span("Actions", class_name="sr-only")),
                    )
                ),
                rx.table.body(rx.foreach(step.time, entry)),
                size="1",
                width="100%",
            ),
        ),
        rx.foreach(step.time, edit_form),
        submit_form(
            hidden("step_id", step.id),
            rx.hstack(
                field(
                    "Time spent",
                    name="minutes",
                    id="minutes-" + step.id.to_string(),
                    hint="Minutes (90) or h:mm (1:30)",
                ),
                date_field("Date", name="work_date", id="date-" + step.id.to_string()),
                field("Note", name="note", id="note-" + step.id.to_string()),
                rx.button("Log time", type="submit", variant="soft"),
                align="end",
                wrap="wrap",
                width="100%",
            ),
            on_submit=state.log_time,
            form_id="log-time-" + step.id.to_string(),
            aria_label="Log time on " + step.title,
        ),
        spacing="2",
        width="100%",
        align="stretch",
    )


def comments(step, state) -> rx.Component:
    return rx.vstack(
        rx.heading("Comments", as_="h3", size="3"),
        rx.foreach(
            step.comments,
            lambda c: rx.box(
                rx.text(
                    rx.text.strong(c.author),
                    " · ",
                    c.author_role,
                    " · ",
                    c.at_label,
                    size="1",
                    color_scheme="gray",
                ),
                rx.text(c.body, white_space="pre-wrap"),
                padding_y="0.25em",
            ),
        ),
        submit_form(
            hidden("step_id", step.id),
            textarea_field(
                "Add a comment", name="body", id="comment-" + step.id.to_string(), rows=2
            ),
            rx.button("Comment", type="submit", variant="soft"),
            on_submit=state.add_comment,
            form_id="comment-form-" + step.id.to_string(),
            aria_label="Comment on " + step.title,
        ),
        spacing="2",
        width="100%",
        align="stretch",
    )


def step_summary(step) -> rx.Component:
    return rx.hstack(
        rx.text(step.title, weight="bold"),
        status_badge(step.status_label, step.status),
        due_badge(step.deadline_label, step.due_state),
        rx.cond(
            step.assignee_name != "",
            rx.text(
                step.assignee_name,
                rx.cond(step.assignee_is_bookkeeper, " (bookkeeper)", ""),
                size="2",
                color_scheme="gray",
            ),
            rx.text("Unassigned", size="2", color_scheme="gray"),
        ),
        rx.cond(
            step.checklist.length() > 0,
            rx.text(
                step.checklist_done.to_string() + "/" + step.checklist.length().to_string(),
                " done",
                size="1",
                color_scheme="gray",
            ),
        ),
        align="center",
        wrap="wrap",
        spacing="3",
    )


def step_work(step, state, *, manage: bool) -> rx.Component:
    """Status, checklist, time and comments: the work anyone on the step may do."""
    return rx.vstack(
        rx.cond(step.description != "", rx.text(step.description, white_space="pre-wrap")),
        status_control(step, state),
        checklist(step, state, manage),
        time_log(step, state),
        comments(step, state),
        spacing="4",
        width="100%",
        align="stretch",
    )
