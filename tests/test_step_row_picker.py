"""The staff filing page shows each step's assignee picker on the step's row, outside the
collapsed <details> (so it shows without opening the step), labelled "Assignee for <step>",
and wired to the one assignment event (FilingState.assign_step -> steps.assign_step)."""

from __future__ import annotations

from reflex_base.components.component import Component

from pages.filing import filing_page
from tests.test_page_markup import element_of


def _pickers(root: Component) -> list[tuple[tuple[str, ...], Component]]:
    found = []

    def walk(component: Component, tags: tuple[str, ...]):
        tag = element_of(component)
        if tag is not None:
            tags = (*tags, tag)
        if tag == "select" and "Assignee for" in str(component.render()):
            found.append((tags, component))
        for child in getattr(component, "children", ()):
            if isinstance(child, Component):
                walk(child, tags)

    walk(root, ())
    return found


def test_the_assignee_picker_sits_on_the_row_not_inside_the_closed_step():
    pickers = _pickers(filing_page())
    assert len(pickers) == 1, "one picker per step row, and none left inside the step"
    tags, picker = pickers[0]
    assert "details" not in tags and "summary" not in tags
    rendered = str(picker.render())
    assert "assign_step" in rendered
    assert "Unassigned" in rendered
