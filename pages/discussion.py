"""A filing's discussion thread: newest last, with a box to post when allowed."""

from __future__ import annotations

import reflex as rx

from pages.components import submit_form, textarea_field


def discussion(
    state, *, posts=None, can_post=None, on_post=None, key: str = "", extra=None
) -> rx.Component:
    """The thread and its post box. `extra` rides along in the form (a hidden filing id when
    several threads share one page)."""
    posts = state.posts if posts is None else posts
    can_post = state.can_post if can_post is None else can_post
    on_post = state.post if on_post is None else on_post
    return rx.vstack(
        rx.cond(
            posts.length() > 0,
            rx.el.ol(
                rx.foreach(
                    posts,
                    lambda p: rx.el.li(
                        rx.text(
                            rx.text.strong(p.author),
                            " · ",
                            p.author_role,
                            " · ",
                            p.at_label,
                            size="1",
                            color_scheme="gray",
                        ),
                        rx.text(p.body, white_space="pre-wrap"),
                        style={"padding": "0.4em 0", "border_bottom": "1px solid var(--gray-3)"},
                    ),
                ),
                style={"list_style": "none", "padding": "0", "margin": "0"},
                aria_label="Messages",
            ),
            rx.text("No messages yet.", color_scheme="gray"),
        ),
        rx.cond(
            can_post,
            submit_form(
                extra if extra is not None else rx.fragment(),
                textarea_field("Write a message", name="body", id="post-body" + key, rows=2),
                rx.button("Post message", type="submit", margin_top="0.5em"),
                on_submit=on_post,
                form_id="post-form" + key,
                aria_label="Post to the discussion",
            ),
        ),
        spacing="3",
        width="100%",
        align="stretch",
    )
