"""What people type, as they would see it: blank-looking names, disguised names, odd digits,
impossible dates and passwords nobody could type again. Each case was a bug report."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from sqlmodel import select

from models import AccountLink, AuditEvent, Client, Email, StepComment, TimeEntry
from portal import auth
from portal.mail import MailResult
from portal.services import audit, clients, emails, inputs, signin, steps, team
from portal.services.errors import Invalid
from tests.factories import PASSWORD

BIDI_CONTROLS = (
    "\u061c",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
)


def name(value, **kw):
    return inputs.line(value, label="Client name", max_length=kw.pop("max_length", 200), **kw)


def note(value, **kw):
    return inputs.long_text(value, label="Notes", max_length=kw.pop("max_length", 5000), **kw)


# --- Names and other text --------------------------------------------------------------


def test_a_client_name_of_only_zero_width_spaces_is_refused(session, world):
    staff = world.actor(session, world.staff)
    with pytest.raises(Invalid, match=r"^Client name cannot be empty\.$"):
        clients.create_client(session=session, actor=staff, form={"name": "\u200b\u200b\u200b"})
    assert session.exec(select(Client).where(Client.name.contains("\u200b"))).all() == []


@pytest.mark.parametrize(
    "blank",
    [
        "\u3164",  # Hangul filler
        "\u115f\u1160",  # Hangul choseong and jungseong fillers
        "\uffa0",  # halfwidth Hangul filler
        "\u2800",  # Braille blank
        "\u0301\u20dd",  # combining marks with nothing to sit on
        "\u200d\u200c",  # joiners with nothing to join
        "\ufeff \u00a0\u3000",  # byte order mark and wide spaces
        "\U000e0041\U000e007f",  # tag characters
        "\u202e\u2066",  # direction controls
    ],
)
def test_a_name_that_only_looks_blank_is_refused(blank):
    with pytest.raises(Invalid, match=r"^Client name cannot be empty\.$"):
        name(blank, required=True)


def test_an_optional_field_of_only_invisible_characters_is_saved_empty():
    assert inputs.line("\u200b\u3164\u2800", label="Phone", max_length=40) == ""
    assert note("\u200b\n\u3164\n\t") == ""


def test_a_comment_of_only_nul_and_zero_width_characters_is_refused(session, world):
    bookkeeper = world.actor(session, world.bk1)
    with pytest.raises(Invalid, match=r"^Comment cannot be empty\.$"):
        steps.add_comment(
            session=session, actor=bookkeeper, step_id=world.step.id, body="\x00\u200b\ufeff\x00"
        )
    assert session.exec(select(StepComment)).all() == []


def test_a_right_to_left_override_no_longer_disguises_a_client_name(session, world):
    # Shown with U+202E, "ZZ QA \u202efdp.exe" reads "ZZ QA exe.pdf".
    staff = world.actor(session, world.staff)
    client_id = clients.create_client(
        session=session, actor=staff, form={"name": "ZZ QA \u202efdp.exe"}
    )
    assert session.get(Client, client_id).name == "ZZ QA fdp.exe"


@pytest.mark.parametrize("control", BIDI_CONTROLS, ids=[f"U+{ord(c):04X}" for c in BIDI_CONTROLS])
def test_every_direction_control_is_removed_from_names_and_notes(control):
    assert name(f"Maple{control} Leaf") == "Maple Leaf"
    assert note(f"Line one{control}\nLine two") == "Line one\nLine two"


def test_emoji_with_joiners_and_variation_selectors_are_kept_while_invisible_ones_go():
    family = "\U0001f469\u200d\U0001f4bb"  # woman technologist: two emoji and a ZWJ
    heart = "\u2764\ufe0f"  # red heart, emoji style
    assert name(f"Zo\u00eb\u200b {family} {heart}\u2060\u00ad") == f"Zo\u00eb {family} {heart}"


def test_a_persian_word_keeps_its_zero_width_non_joiner():
    word = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "mi-khaham", I want
    assert name(f"\ufeff{word}\u200b") == word


def test_tag_characters_nul_controls_and_lone_surrogates_are_removed():
    assert name("A\U000e0067\U000e0062b\x00c\x1bd\x7fe\x9bf\ud800g\udfff") == "Abcdefg"
    assert note("Line\x00 one\ud800\nLine two\x85\x07") == "Line one\nLine two"


def test_text_is_stored_composed_so_the_same_name_matches_itself():
    # "e" + combining acute, with a zero-width space typed in between.
    assert name("Cafe\u200b\u0301") == "Caf\u00e9"
    assert len(name("Cafe\u0301")) == 4


def test_a_name_is_one_line_with_single_spaces():
    raw = "  Maple\r\n\tLeaf\u2028Cafe \u00a0  Inc.\x0b "
    assert name(raw) == "Maple Leaf Cafe Inc."


def test_notes_keep_their_lines_and_tabs_with_plain_line_endings():
    raw = " \r\nTo do:\r\n\t- bank\r\t- payroll\u2028done\x0cend \n\n"
    assert note(raw) == "To do:\n\t- bank\n\t- payroll\ndone\nend"


def test_length_is_counted_after_invisible_characters_are_removed():
    assert name("a" * 10 + "\u200b" * 50, max_length=10) == "a" * 10
    with pytest.raises(Invalid, match=r"^Client name can be at most 10 characters\.$"):
        name("a" * 11 + "\u200b", max_length=10)


def test_single_line_fields_lose_their_line_breaks_and_notes_keep_them(session, world):
    staff = world.actor(session, world.staff)
    client_id = clients.create_client(
        session=session,
        actor=staff,
        form={
            "name": "Maple\nLeaf",
            "address": "1 Main St\r\nVancouver BC",
            "notes": "Year end: March.\r\nPrefers email.",
            "contact_email": "\u200b",
        },
    )
    client = session.get(Client, client_id)
    assert (client.name, client.address, client.notes, client.contact_email) == (
        "Maple Leaf",
        "1 Main St Vancouver BC",
        "Year end: March.\nPrefers email.",
        "",
    )
    bookkeeper = world.actor(session, world.bk1)
    steps.log_time(
        session=session,
        actor=bookkeeper,
        step_id=world.step.id,
        minutes="30",
        work_date=date.today().isoformat(),
        note="Bank feed\nMarch",
    )
    assert session.exec(select(TimeEntry.note)).one() == "Bank feed March"


def test_searching_clients_with_a_lone_surrogate_finds_nothing_instead_of_crashing(session, world):
    staff = world.actor(session, world.staff)
    page = clients.list_clients(session=session, actor=staff, search="Maple\ud800")
    assert [r.name for r in page.rows] == ["Maple Leaf Cafe Inc."]


# --- Time spent and ids ----------------------------------------------------------------


@pytest.mark.parametrize(
    "odd", ["\u00b2", "\u2460", "\u0663", "\uff11\uff12", "\u0661:30", "1\u0663:00"]
)
def test_time_spent_in_unusual_digits_is_refused_with_the_usual_message(odd):
    with pytest.raises(Invalid, match="is not a time: enter minutes"):
        inputs.minutes(odd)


def test_a_ten_thousand_digit_time_is_refused_not_crashed():
    with pytest.raises(Invalid, match="is not a time: enter minutes"):
        inputs.minutes("9" * 10_000)


def test_logging_superscript_two_minutes_gives_a_message_not_an_error_page(session, world):
    bookkeeper = world.actor(session, world.bk1)
    with pytest.raises(Invalid, match="is not a time"):
        steps.log_time(
            session=session,
            actor=bookkeeper,
            step_id=world.step.id,
            minutes="\u00b2",
            work_date=date.today().isoformat(),
        )


def test_time_spent_pasted_with_an_invisible_character_still_counts():
    assert inputs.minutes("90\u200b") == 90
    assert inputs.minutes("\ufeff1:30") == 90
    assert inputs.minutes(" 45 ") == 45


@pytest.mark.parametrize("bad", ["1_000", "+5", "\u0663", "\uff15", " 5", "5\n"])
def test_an_id_is_only_plain_ascii_digits(bad):
    with pytest.raises(Invalid, match="does not exist"):
        inputs.record_id(bad)
    assert inputs.record_id("5") == 5 and inputs.record_id(5) == 5


# --- Dates -----------------------------------------------------------------------------


@pytest.mark.parametrize("far", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_due_dates_outside_1900_to_2100_are_refused(far):
    with pytest.raises(Invalid, match=r"^Due date must be between 1900 and 2100"):
        inputs.optional_date(far)


def test_the_edges_of_the_date_range_are_accepted_and_only_yyyy_mm_dd_is_read():
    assert inputs.optional_date("1900-01-01") == date(1900, 1, 1)
    assert inputs.required_date("2100-12-31", label="Date") == date(2100, 12, 31)
    for other_form in ("20260430", "2026-W18-4", "\uff12\uff10\uff12\uff16-04-30"):
        with pytest.raises(Invalid, match="must be a date written as YYYY-MM-DD"):
            inputs.optional_date(other_form)


def test_a_step_due_in_year_one_is_refused(session, world):
    staff = world.actor(session, world.staff)
    with pytest.raises(Invalid, match=r"^Due date must be between 1900 and 2100"):
        steps.add_step(
            session=session,
            actor=staff,
            filing_id=world.filing.id,
            title="Reconcile",
            due_date="0001-01-01",
        )


# --- Passwords -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "blank", [" " * 12, "\t" * 12, "\u00a0" * 12, "\u200b" * 12, "\u3164" * 12, " \u200d" * 6]
)
def test_twelve_spaces_or_invisible_characters_are_not_a_password(blank):
    problem = auth.password_problem(blank)
    assert problem is not None and "only spaces or invisible characters" in problem


def test_spaces_inside_a_password_are_still_fine():
    assert auth.password_problem("  correct horse  ") is None
    assert auth.password_problem(" " * 12) is not None


def test_a_password_of_twelve_spaces_is_refused_on_an_emailed_link(session, world):
    from portal.services import links

    admin = world.actor(session, world.admin)
    team.reset_password(session=session, actor=admin, user_id=world.bk1.id)
    session.commit()
    token = auth.new_secret()
    link = session.exec(select(AccountLink).where(AccountLink.user_id == world.bk1.id)).one()
    link.token_hash = auth.digest(token)
    session.commit()
    result = links.use_link(
        session=session, kind="reset", token=token, password=" " * 12, confirm=" " * 12
    )
    assert not result.ok and "only spaces or invisible characters" in result.message


def test_a_password_with_half_an_emoji_is_refused_not_crashed():
    assert "broken character" in auth.password_problem("a long password\ud83d")
    assert "broken character" in auth.sign_in_password_problem("a long password\ud83d")
    assert auth.verify_password("a long password\ud83d", auth.dummy_hash()) is False


def test_signing_in_with_only_spaces_asks_for_the_password(session, world):
    assert auth.sign_in_password_problem("   ") == "Enter your password."
    result = signin.sign_in(
        session=session, email=world.staff.email, password=" \t ", ip="203.0.113.5"
    )
    assert not result.ok and result.message == "Enter your password."


# --- Email addresses -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["\x9b@alpha.example", "bea\ud800@alpha.example", "bea\u202e@alpha.example", 5],
)
def test_odd_characters_in_an_email_address_make_it_invalid_not_an_error(raw):
    assert auth.normalize_email(raw) is None


def test_signing_in_with_a_lone_surrogate_in_the_email_is_a_message_not_a_crash(session, world):
    result = signin.sign_in(
        session=session, email="sam\ud800@alpha.example", password=PASSWORD, ip="203.0.113.5"
    )
    assert not result.ok and result.message == signin.BAD_EMAIL


def test_an_address_pasted_with_a_zero_width_space_is_the_address_shown():
    assert inputs.email("bea\u200b@alpha.example") == "bea@alpha.example"
    assert inputs.email_list("a@x.example;\u200bb@y.example\u2028c@z.example") == [
        "a@x.example",
        "b@y.example",
        "c@z.example",
    ]


def test_half_an_emoji_pasted_into_to_sends_to_the_address_shown(session, world):
    class Mailer:
        def send(self, message):
            message.as_bytes()
            return MailResult(status="sent", message_id=str(message["Message-ID"]))

    staff = world.actor(session, world.staff)
    emails.send_email(
        session=session,
        actor=staff,
        client_id=world.client.id,
        to="owner\ud83d@maple.example",
        subject="Hello\u202e",
        body="Hi",
        mailer=Mailer(),
    )
    stored = session.exec(select(Email)).one()
    assert (stored.to_addr, stored.subject) == ("owner@maple.example", "Hello")


def test_a_received_email_cannot_disguise_its_subject(session, world):
    subject = base64.b64encode("Invoice \u202efdp.exe".encode()).decode()
    raw = (
        "From: someone@example.com\r\n"
        f"Subject: =?utf-8?b?{subject}?=\r\n"
        "Message-ID: <rlo@example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Open the \u2067attachment\u2069.\r\n"
    ).encode()
    emails.import_eml(session=session, client_id=world.client.id, raw=raw)
    stored = session.exec(select(Email).where(Email.message_id == "<rlo@example.com>")).one()
    assert (stored.subject, stored.body) == ("Invoice fdp.exe", "Open the attachment.")


# --- The audit log ---------------------------------------------------------------------


def test_a_forged_request_with_a_lone_surrogate_is_still_written_to_the_audit_log(session, world):
    # A refusal quotes the event or path a request named: text chosen by whoever sent it.
    audit.record(
        session=session,
        action="refused",
        outcome="refused",
        firm_id=world.firm.id,
        actor_label="signed out",
        target_type="event",
        detail="state.x\ud800\u202e.delete\x00",
        ip="203.0.113.5",
    )
    session.commit()
    stored = session.exec(select(AuditEvent).where(AuditEvent.action == "refused")).one()
    assert stored.detail == "state.x<U+D800><U+202E>.delete<U+0000>"
