"""The filing page's review and sign-off panel: where the filing stands, the buttons the
person may use (none for anyone else), the return form, and the timeline."""

from __future__ import annotations

import reflex as rx

from pages.components import action_button, hidden, section, submit_form, textarea_field


def _reopen_choice(choice) -> rx.Component:
    box_id = "reopen-" + choice.id.to_string()
    return rx.hstack(
        rx.el.input(type="checkbox", name=box_id, id=box_id, value="on"),
        rx.el.label(choice.title, html_for=box_id),
        align="center",
        spacing="2",
    )


def _return_form(S) -> rx.Component:
    return rx.card(
        submit_form(
            rx.heading("Return it", as_="h3", size="3"),
            hidden("expected_version", S.review.version),
            textarea_field(
                "Note for the return (required)",
                name="note",
                id="return-note",
                rows=3,
            ),
            rx.el.fieldset(
                rx.el.legend("Steps to reopen (at least one)", class_name="field-label"),
                rx.vstack(rx.foreach(S.review.steps, _reopen_choice), spacing="1"),
                class_name="plain-fieldset",
            ),
            rx.button("Return with note", type="submit", variant="soft", margin_top="0.5em"),
            on_submit=S.return_filing,
            form_id="return-filing",
            aria_label="Return the filing",
        ),
        width="100%",
    )


def _entry(entry) -> rx.Component:
    return rx.el.li(
        rx.text(
            rx.text.strong(entry.text),
            " · ",
            rx.el.time(entry.at_label, date_time=entry.at_iso),
        ),
        rx.cond(entry.note != "", rx.el.blockquote("“", entry.note, "”")),
        rx.cond(entry.detail != "", rx.text(entry.detail, size="2", color_scheme="gray")),
    )


def _timeline(S) -> rx.Component:
    return rx.vstack(
        rx.heading("Timeline", as_="h3", size="3", id="review-timeline-heading"),
        rx.cond(
            S.review.timeline.length() > 0,
            rx.el.ol(
                rx.foreach(S.review.timeline, _entry),
                aria_labelledby="review-timeline-heading",
                class_name="review-timeline",
            ),
            rx.text("Nothing has happened in review yet.", color_scheme="gray"),
        ),
        spacing="2",
        width="100%",
        align="stretch",
    )


def review_panel(S) -> rx.Component:
    """`S` is the page's state class (state/filing.py mixes in state/review.py)."""
    version = S.review.version.to_string()
    return section(
        "Review and sign-off",
        rx.text(S.review.stage_label, id="review-stage"),
        rx.cond(
            S.review.can_send,
            rx.vstack(
                action_button("Send to review", S.send_to_review(S.submit_token, version)),
                rx.cond(
                    S.review.not_done.length() > 0,
                    rx.text(
                        "Steps not done yet: ",
                        S.review.not_done.join(", "),
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                align="start",
                spacing="1",
            ),
        ),
        rx.cond(
            S.review.can_review,
            rx.vstack(
                action_button(
                    "Approve", S.approve_filing(S.submit_token, version), color_scheme="green"
                ),
                _return_form(S),
                align="start",
                spacing="3",
                width="100%",
            ),
        ),
        rx.cond(
            S.review.can_sign_off,
            action_button(
                "Sign off", S.sign_off_filing(S.submit_token, version), color_scheme="green"
            ),
        ),
        _timeline(S),
    )
