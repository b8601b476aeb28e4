"""Every page's markup nests the way the HTML parser keeps it.

A page opened by URL is first served as the HTML the production build prerendered, and React
then hydrates that DOM. Markup the parser rewrites while reading it (a <div> or <p> inside a
<p>, a link inside a link, a form inside a form) leaves a DOM that no longer matches what React
renders, and hydration fails (React error #418) with the page re-rendered from scratch. This
walks every branch of every page (conditions, matches and loops included, not only what the
default state shows) and names each place where that would happen.
"""

from __future__ import annotations

import pytest
from reflex_base.components.component import Component
from reflex_base.vars.base import Var

from pages.registry import NOT_FOUND, PAGES

# A start tag of any of these closes an open <p> (HTML Standard, "in body" insertion mode).
# fmt: off
CLOSES_P = frozenset({
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div",
    "dl", "dd", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hgroup", "hr", "li", "listing", "main", "menu", "nav", "ol",
    "p", "plaintext", "pre", "search", "section", "summary", "table", "ul", "xmp",
})
# fmt: on
# An open <p> inside one of these is out of the parser's reach ("button scope").
P_SCOPE = frozenset({"button", "table", "td", "th", "caption", "object", "template"})
# These may not hold themselves: the parser closes the outer one first.
NO_SELF_NESTING = frozenset({"a", "form", "button"})
ELEMENT_MODULE = "reflex_components_core.el.elements"


def _literal(value) -> object:
    """A prop's value when it is fixed at build time, else None."""
    if isinstance(value, Var):
        return getattr(value, "_var_value", None)
    return value


def element_of(component: Component) -> str | None:
    """The HTML element a component renders as itself, or None when it renders none of its own
    (fragments, conditions, loops, bare text, and parts that lend their props to their child)."""
    if _literal(getattr(component, "as_child", None)) is True:
        return None
    chosen = (getattr(component, "custom_attrs", None) or {}).get("as")
    chosen = _literal(chosen) or _literal(getattr(component, "as_", None))
    if isinstance(chosen, str):
        return chosen
    for klass in type(component).__mro__:
        tag = klass.__dict__.get("tag")
        if klass.__module__.startswith(ELEMENT_MODULE) and isinstance(tag, str):
            return tag
    return None


def nesting_problems(root: Component) -> list[str]:
    problems: list[str] = []

    def walk(component: Component, path: tuple[str, ...], in_p: bool, open_tags: frozenset):
        tag = element_of(component)
        if tag is not None:
            where = " > ".join((*path, tag))
            if in_p and tag in CLOSES_P:
                problems.append(f"<{tag}> inside a <p>: {where}")
            if tag in NO_SELF_NESTING and tag in open_tags:
                problems.append(f"<{tag}> inside a <{tag}>: {where}")
            path = (*path, type(component).__name__ + f"<{tag}>")
            if tag in CLOSES_P:  # the parser has closed any open <p> by now
                in_p = tag == "p"
            elif tag in P_SCOPE:
                in_p = False
            open_tags = open_tags | {tag}
        for child in getattr(component, "children", ()):
            if isinstance(child, Component):
                walk(child, path, in_p, open_tags)

    walk(root, (), False, frozenset())
    return problems


@pytest.mark.parametrize("page", [*PAGES, NOT_FOUND], ids=lambda p: p.route)
def test_page_markup_survives_the_html_parser(page):
    assert nesting_problems(page.component()) == []


def test_the_check_sees_a_block_inside_a_paragraph():
    import reflex as rx

    bad = rx.callout(rx.text("a paragraph in the callout's paragraph"), icon="info")
    assert nesting_problems(bad) == [
        "<p> inside a <p>: CalloutRoot<div> > CalloutText<p> > p",
    ]
    assert nesting_problems(rx.link(rx.link("inner", href="/b"), href="/a")) != []
    assert nesting_problems(rx.text(rx.text.strong("fine"), rx.link("fine", href="/"))) == []
