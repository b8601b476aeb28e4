"""A client's page for staff: details, filings, documents, emails."""

from __future__ import annotations

import reflex as rx

from pages.browser import pressable
from pages.components import (
    action_button,
    callout,
    confirm_duplicate,
    date_field,
    field,
    file_drop,
    hidden,
    messages,
    once_attrs,
    reload_latest,
    section,
    select_field,
    status_badge,
    submit_form,
    textarea_field,
    your_entry,
)
from pages.discussion import discussion
from pages.documents import document_list, download_link
from pages.layout import shell
from state.client import CLEAR_FILES_BUTTON, UPLOAD_ID
from state.client import ClientState as S


def _detail(label: str, value) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label),
        rx.data_list.value(rx.cond(value != "", value, "—")),
    )


def client_details(info) -> rx.Component:
    """A client's details, read-only: shared by the client page and the task page."""
    return rx.data_list.root(
        _detail("Business number", info.business_number),
        _detail("Contact", info.contact_name),
        _detail("Email", info.contact_email),
        _detail("Phone", info.phone),
        _detail("Address", info.address),
        _detail("Notes", info.notes),
    )


def _edit_field(label: str, name: str, **props) -> rx.Component:
    return rx.box(
        field(label, name=name, default_value=getattr(S.info, name), id=f"client-{name}", **props),
        your_entry(S, "client", name),
    )


def _edit_form() -> rx.Component:
    return submit_form(
        rx.grid(
            _edit_field("Client name", "name"),
            _edit_field("Business number", "business_number"),
            _edit_field("Contact name", "contact_name"),
            _edit_field("Contact email", "contact_email", type="email"),
            _edit_field("Phone", "phone"),
            _edit_field("Address", "address"),
            columns="2",
            spacing="3",
            width="100%",
        ),
        textarea_field("Notes", name="notes", default_value=S.info.notes, id="client-notes"),
        your_entry(S, "client", "notes"),
        confirm_duplicate(S),
        rx.hstack(
            rx.button("Save client", type="submit"),
            rx.button("Cancel", type="button", variant="soft", on_click=S.toggle_edit),
            reload_latest(S, "client"),
            margin_top="0.75em",
            wrap="wrap",
        ),
        on_submit=S.save,
        form_id="edit-client",
        key="edit-client-" + S.editor_rev.to_string(),
        aria_label="Edit client",
    )


def filing_table(rows) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Filing"),
                    rx.table.column_header_cell("Due"),
                    rx.table.column_header_cell("Status"),
                    rx.table.column_header_cell(
                        rx.cond(S.can_manage, "Open steps", "Your open steps")
                    ),
                )
            ),
            rx.table.body(
                rx.foreach(
                    rows,
                    lambda f: rx.table.row(
                        rx.table.cell(rx.cond(S.can_manage, rx.link(f.title, href=f.url), f.title)),
                        rx.table.cell(f.due_label),
                        rx.table.cell(status_badge(f.status_label, f.status)),
                        rx.table.cell(f.open_steps),
                    ),
                )
            ),
            width="100%",
        ),
        rx.text("No filings yet.", color_scheme="gray"),
    )


def _from_template() -> rx.Component:
    """A template (its steps are added and assigned, and its kind is the filing's) and how
    the filing repeats."""
    return rx.hstack(
        rx.box(
            select_field(
                "Template",
                name="template_id",
                id="filing-template",
                options=S.template_options,
                value_of=lambda t: t.id.to_string(),
                label_of=lambda t: t.label,
                empty="No template",
                aria_describedby="filing-template-hint",
            ),
            rx.text(
                "A template adds its steps, assigned and due relative to the due date; the "
                "filing takes the template's kind.",
                id="filing-template-hint",
                size="1",
                color_scheme="gray",
            ),
            min_width="16em",
        ),
        rx.box(
            select_field(
                "Repeats",
                name="recurrence",
                id="filing-recurrence",
                options=S.repeat_choices,
                value_of=lambda c: c[0],
                label_of=lambda c: c[1],
            ),
            min_width="12em",
        ),
        align="start",
        wrap="wrap",
        margin_top="0.5em",
    )


def _new_filing() -> rx.Component:
    return rx.cond(
        S.adding_filing,
        rx.card(
            submit_form(
                rx.hstack(
                    select_field("Kind", name="kind", options=S.kinds, id="filing-kind"),
                    field("Period", name="period", id="filing-period", placeholder="Q1 2026"),
                    date_field("Due date", name="due_date", id="filing-due"),
                    align="end",
                    wrap="wrap",
                ),
                _from_template(),
                rx.hstack(
                    rx.button("Create filing", type="submit"),
                    rx.button(
                        "Cancel", type="button", variant="soft", on_click=S.toggle_add_filing
                    ),
                    margin_top="0.75em",
                ),
                on_submit=S.create_filing,
                form_id="new-filing",
                aria_label="New filing",
            )
        ),
    )


def _delete_with_confirm(kind: str, record_id, label, delete) -> rx.Component:
    """Delete takes a second click: "Delete" first, then "Delete <kind>" or "Keep"."""
    return rx.cond(
        S.confirm_delete == f"{kind}-" + record_id.to_string(),
        rx.hstack(
            action_button(
                f"Delete {kind}", delete(S.submit_token, record_id), size="1", color_scheme="red"
            ),
            rx.button("Keep", size="1", variant="soft", on_click=S.keep),
        ),
        rx.button(
            "Delete",
            variant="ghost",
            size="1",
            color_scheme="red",
            on_click=S.ask_delete(kind, record_id),
            aria_label=label,
        ),
    )


def _document_controls(doc) -> rx.Component:
    return rx.hstack(
        rx.button(
            "Send",
            variant="ghost",
            size="1",
            on_click=S.compose_with_document(doc.id, doc.filename),
            aria_label="Send " + doc.filename + " by email",
        ),
        _delete_with_confirm("document", doc.id, "Delete " + doc.filename, S.delete_document),
        spacing="2",
    )


def _upload() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Upload documents", as_="h3", size="3"),
            file_drop(
                "Documents to upload",
                rx.vstack(
                    rx.button("Choose files", type="button", variant="soft"),
                    rx.text("or drop them here", size="2", color_scheme="gray"),
                    align="center",
                ),
                id=UPLOAD_ID,
                multiple=True,
                border="1px dashed var(--gray-7)",
                padding="1em",
                width="100%",
            ),
            rx.foreach(rx.selected_files(UPLOAD_ID), lambda name: rx.text(name, size="2")),
            pressable(CLEAR_FILES_BUTTON, rx.clear_selected_files(UPLOAD_ID)),
            rx.hstack(
                select_field(
                    "For filing (optional)",
                    name="upload_filing",
                    id="upload-filing",
                    options=S.filings,
                    value_of=lambda f: f.id.to_string(),
                    label_of=lambda f: f.title,
                    empty="The client in general",
                    value=S.upload_filing,
                    on_change=S.choose_upload_filing,
                ),
                rx.button(
                    "Upload",
                    on_click=[
                        S.begin_upload(S.submit_token),
                        S.upload(
                            rx.upload_files(
                                upload_id=UPLOAD_ID, on_upload_progress=S.upload_progress
                            )
                        ),
                    ],
                    custom_attrs=once_attrs(),
                ),
                align="end",
                width="100%",
            ),
            rx.cond(
                S.uploading,
                rx.hstack(
                    rx.progress(value=S.upload_percent, max=100, aria_label="Upload progress"),
                    rx.text(S.upload_percent, "%", size="1", aria_live="polite"),
                    width="100%",
                    align="center",
                ),
            ),
            spacing="3",
            width="100%",
            align="stretch",
        ),
        width="100%",
    )


def _compose() -> rx.Component:
    return rx.cond(
        S.composing,
        rx.card(
            submit_form(
                rx.heading("New email", as_="h3", size="3"),
                field(
                    "To",
                    name="to",
                    type="email",
                    default_value=S.info.contact_email,
                    id="email-to",
                    hint="Separate several addresses with commas.",
                ),
                field("Subject", name="subject", id="email-subject"),
                textarea_field("Message", name="body", id="email-body", rows=6),
                rx.cond(S.attach_name != "", rx.text("Attached: ", S.attach_name, size="2")),
                rx.hstack(
                    rx.button("Send email", type="submit"),
                    rx.button("Discard", type="button", variant="soft", on_click=S.close_compose),
                    margin_top="0.5em",
                ),
                on_submit=S.send_email,
                form_id="compose-email",
                aria_label="New email",
            )
        ),
    )


def email_thread(rows) -> rx.Component:
    def entry(mail) -> rx.Component:
        return rx.card(
            rx.vstack(
                rx.hstack(
                    rx.badge(rx.cond(mail.direction == "in", "Received", "Sent")),
                    rx.text(mail.subject, weight="bold"),
                    rx.spacer(),
                    rx.text(mail.at_label, size="1", color_scheme="gray"),
                    width="100%",
                    align="center",
                ),
                rx.text(
                    "From ", mail.from_addr, " to ", mail.to_addr, size="1", color_scheme="gray"
                ),
                rx.cond(
                    mail.status == "failed",
                    callout("Not sent: " + mail.error, color_scheme="red", size="1"),
                ),
                rx.cond(
                    mail.status == "outbox",
                    rx.text(
                        "Saved to the local outbox (no mail server configured).",
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                rx.text(mail.body, white_space="pre-wrap"),
                rx.cond(
                    mail.attachment_name != "",
                    rx.cond(
                        mail.attachment_url != "",
                        download_link(
                            "Attachment: " + mail.attachment_name,
                            url=mail.attachment_url,
                            document_id=mail.attachment_document_id,
                            on_download=S.download,
                        ),
                        rx.text("Attachment: " + mail.attachment_name, size="2"),
                    ),
                ),
                _manage(
                    _delete_with_confirm(
                        "email", mail.id, "Delete email " + mail.subject, S.delete_email
                    )
                ),
                spacing="2",
                width="100%",
                align="stretch",
            ),
            width="100%",
        )

    return rx.cond(
        rows.length() > 0,
        rx.vstack(rx.foreach(rows, entry), spacing="2", width="100%"),
        rx.text("No emails yet.", color_scheme="gray"),
    )


def _manage(component: rx.Component) -> rx.Component:
    """Rendered for staff only; the server refuses these events from anyone else anyway."""
    return rx.cond(S.can_manage, component)


def _threads() -> rx.Component:
    """Each filing's discussion, for a bookkeeper (staff read them on the filing page)."""
    return rx.foreach(
        S.threads,
        lambda thread: rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(thread.title, as_="h3", size="3"),
                    rx.text(thread.status_label, size="1", color_scheme="gray"),
                    align="baseline",
                ),
                discussion(
                    S,
                    posts=thread.posts,
                    can_post=thread.can_post,
                    on_post=S.post_thread,
                    key="-" + thread.filing_id.to_string(),
                    extra=hidden("filing_id", thread.filing_id),
                ),
                width="100%",
                align="stretch",
            ),
            width="100%",
        ),
    )


def _access() -> rx.Component:
    """Why can they see it: the bookkeepers who can open this client, and through which step."""
    return rx.cond(
        S.access.length() > 0,
        rx.el.ul(
            rx.foreach(
                S.access,
                lambda a: rx.el.li(
                    rx.text.strong(a.name),
                    " through “",
                    a.step_title,
                    "” on ",
                    rx.link(a.filing_title, href=a.filing_url),
                ),
            ),
        ),
        rx.text(
            "No bookkeeper can open this client: none holds a step on an active filing.",
            color_scheme="gray",
        ),
    )


def client_page() -> rx.Component:
    return shell(
        _manage(
            rx.hstack(rx.link("Clients", href="/clients"), rx.text("/"), aria_label="Breadcrumb")
        ),
        rx.hstack(
            rx.heading(S.info.name, as_="h1", size="6"),
            rx.spacer(),
            _manage(rx.button("Edit client", variant="outline", on_click=S.toggle_edit)),
            align="center",
            width="100%",
        ),
        messages(S),
        rx.cond(S.editing, _edit_form(), client_details(S.info)),
        _manage(section("Bookkeepers who can see this client", _access())),
        section(
            "Filings",
            _manage(_new_filing()),
            filing_table(S.filings),
            actions=_manage(rx.button("New filing", variant="soft", on_click=S.toggle_add_filing)),
        ),
        section(
            "Documents",
            _manage(_upload()),
            document_list(
                S.documents,
                lambda doc: _manage(_document_controls(doc)),
                on_download=S.download,
            ),
        ),
        section(
            "Emails",
            _manage(_compose()),
            email_thread(S.emails),
            actions=_manage(rx.button("Compose email", variant="soft", on_click=S.compose)),
        ),
        rx.cond(S.can_manage, rx.fragment(), section("Discussions", _threads())),
    )
