"""Filing templates, for staff and admins: the list, and the editor of one template."""

from __future__ import annotations

import reflex as rx

from pages.components import (
    action_button,
    empty_state,
    field,
    messages,
    native_select,
    section,
    select_field,
    submit_form,
)
from pages.layout import shell
from state.templates import TemplatesState as S

FORM_ID = "template-editor"


def _labelled(label, control_id, control) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=control_id, class_name="field-label"),
        control,
        spacing="1",
        width="100%",
        align="stretch",
    )


def _step_row(row, index) -> rx.Component:
    number = (index + 1).to_string()
    name = "Step " + number

    def control_id(part: str):
        return "template-" + part + "-" + row.uid

    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(name, as_="h3", size="3"),
                rx.spacer(),
                rx.button(
                    rx.icon("arrow-up", size=14, aria_hidden="true"),
                    "Up",
                    type="button",
                    size="1",
                    variant="soft",
                    disabled=index == 0,
                    on_click=S.move_step_row(row.uid, "up"),
                    aria_label="Move step " + number + " up",
                ),
                rx.button(
                    rx.icon("arrow-down", size=14, aria_hidden="true"),
                    "Down",
                    type="button",
                    size="1",
                    variant="soft",
                    disabled=index == S.rows.length() - 1,
                    on_click=S.move_step_row(row.uid, "down"),
                    aria_label="Move step " + number + " down",
                ),
                rx.button(
                    "Remove",
                    type="button",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=S.remove_step_row(row.uid),
                    aria_label="Remove step " + number,
                ),
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.grid(
                _labelled(
                    name + " title",
                    control_id("title"),
                    rx.input(
                        id=control_id("title"),
                        name="title-" + row.uid,
                        default_value=row.title,
                        auto_complete="off",
                        size="3",
                        width="100%",
                    ),
                ),
                _labelled(
                    name + " default assignee",
                    control_id("assignee"),
                    native_select(
                        S.assignees,
                        id=control_id("assignee"),
                        name="assignee-" + row.uid,
                        value_of=lambda p: p.id.to_string(),
                        label_of=lambda p: p.label,
                        empty="Nobody (assign later)",
                        default_value=row.assignee_id,
                    ),
                ),
                _labelled(
                    name + " due, in days from the filing's due date",
                    control_id("offset"),
                    rx.input(
                        id=control_id("offset"),
                        name="offset-" + row.uid,
                        default_value=row.due_offset_days,
                        type="number",
                        min=-366,
                        max=366,
                        step=1,
                        size="3",
                        width="100%",
                        aria_describedby="template-offset-hint",
                    ),
                ),
                columns=rx.breakpoints(initial="1", sm="3"),
                spacing="3",
                width="100%",
            ),
            _labelled(
                name + " description",
                control_id("description"),
                rx.text_area(
                    id=control_id("description"),
                    name="description-" + row.uid,
                    default_value=row.description,
                    rows="2",
                    width="100%",
                ),
            ),
            _labelled(
                name + " checklist, one item a line",
                control_id("checklist"),
                rx.text_area(
                    id=control_id("checklist"),
                    name="checklist-" + row.uid,
                    default_value=row.checklist,
                    rows="3",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
            align="stretch",
        ),
        key=row.uid,
        width="100%",
    )


def _editor() -> rx.Component:
    return rx.card(
        submit_form(
            rx.vstack(
                rx.heading(
                    rx.cond(S.editing_id == 0, "New template", "Edit template"), as_="h2", size="4"
                ),
                rx.hstack(
                    rx.box(
                        field(
                            "Template name",
                            name="name",
                            id="template-name",
                            default_value=S.edit_name,
                            placeholder="GST/HST quarterly",
                        ),
                        flex="2",
                        min_width="14em",
                    ),
                    rx.box(
                        select_field(
                            "Filing kind",
                            name="kind",
                            id="template-kind",
                            options=S.kinds,
                            default_value=S.edit_kind,
                        ),
                        flex="1",
                        min_width="10em",
                    ),
                    width="100%",
                    wrap="wrap",
                    align="end",
                ),
                rx.text(
                    "Each step's due date is the filing's due date plus its days: -14 is two "
                    "weeks before the filing is due, 0 the same day.",
                    id="template-offset-hint",
                    size="2",
                    color_scheme="gray",
                ),
                rx.el.ol(
                    rx.foreach(S.rows, lambda row, i: rx.el.li(_step_row(row, i), key=row.uid)),
                    aria_label="Steps",
                    style={"list_style": "none", "padding": "0", "margin": "0"},
                    class_name="template-steps",
                ),
                rx.cond(
                    S.rows.length() == 0,
                    rx.text("No steps yet: add at least one.", color_scheme="gray"),
                ),
                rx.hstack(
                    rx.button("Add step", type="button", variant="soft", on_click=S.add_step_row),
                    rx.spacer(),
                    rx.button("Save template", type="submit"),
                    rx.button("Cancel", type="button", variant="soft", on_click=S.close_editor),
                    width="100%",
                    wrap="wrap",
                ),
                spacing="3",
                width="100%",
                align="stretch",
            ),
            on_submit=S.save_template,
            form_id="template-editor",
            key="template-editor-" + S.editor_rev.to_string(),
            aria_label="Template",
        ),
        width="100%",
    )


def _delete(template) -> rx.Component:
    return rx.cond(
        S.confirm_delete == template.id,
        rx.hstack(
            action_button(
                rx.cond(template.used, "Archive template", "Delete template"),
                S.delete_template(S.submit_token, template.id),
                size="1",
                color_scheme="red",
            ),
            rx.button("Keep", size="1", variant="soft", on_click=S.keep),
        ),
        rx.button(
            rx.cond(template.used, "Archive", "Delete"),
            size="1",
            variant="ghost",
            color_scheme="red",
            on_click=S.ask_delete(template.id),
            aria_label=rx.cond(template.used, "Archive ", "Delete ") + template.name,
        ),
    )


def _template_card(template) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(template.name, as_="h3", size="3"),
                rx.badge(template.kind),
                rx.spacer(),
                rx.button(
                    "Edit",
                    size="1",
                    variant="soft",
                    on_click=S.edit_template(template.id),
                    aria_label="Edit " + template.name,
                ),
                _delete(template),
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.el.ol(
                rx.foreach(
                    template.steps,
                    lambda s: rx.el.li(
                        rx.text.strong(s.title),
                        " · ",
                        s.offset_label,
                        rx.cond(
                            s.assignee_name != "",
                            rx.fragment(
                                " · ",
                                s.assignee_name,
                                rx.cond(s.assignee_inactive, " (deactivated: left unassigned)", ""),
                            ),
                        ),
                        rx.cond(
                            s.checklist_count > 0,
                            rx.fragment(" · checklist of ", s.checklist_count.to_string()),
                        ),
                    ),
                ),
            ),
            spacing="2",
            width="100%",
            align="stretch",
        ),
        width="100%",
    )


def templates_page() -> rx.Component:
    return shell(
        rx.hstack(
            rx.heading("Filing templates", as_="h1", size="6"),
            rx.spacer(),
            rx.cond(
                ~S.editing,
                rx.button("New template", on_click=S.new_template),
            ),
            align="center",
            width="100%",
        ),
        rx.text(
            "A template is a kind of filing with its steps. Choose one when you create a filing "
            "on a client's page: its steps are added and assigned, due relative to the filing.",
            color_scheme="gray",
        ),
        messages(S),
        rx.cond(S.editing, _editor()),
        section(
            "Templates",
            rx.cond(
                S.templates.length() > 0,
                rx.vstack(rx.foreach(S.templates, _template_card), spacing="3", width="100%"),
                empty_state(
                    "No templates yet",
                    "Make one for work that repeats, such as a quarterly GST/HST return.",
                ),
            ),
        ),
    )
