"""The assignee picker on each step row of the staff filing page, shown without opening the
step. It assigns through the same event and service as always (FilingState.assign_step ->
steps.assign_step: over the assignee the picker showed, with the access-change path)."""

from __future__ import annotations

import reflex as rx

from pages.components import native_select
from state.filing import FilingState as S


def assignee_picker(step) -> rx.Component:
    picker_id = "assignee-" + step.id.to_string()
    return rx.hstack(
        rx.el.label("Assignee", html_for=picker_id, class_name="field-label"),
        native_select(
            S.assignees,
            id=picker_id,
            value_of=lambda p: p.id.to_string(),
            label_of=lambda p: p.label,
            empty="Unassigned",
            value=rx.cond(step.assignee_id > 0, step.assignee_id.to_string(), ""),
            on_change=lambda value: S.assign_step(step.id, step.assignee_id.to_string(), value),
            aria_label="Assignee for " + step.title,
        ),
        align="center",
        spacing="2",
        flex_shrink="0",
    )
