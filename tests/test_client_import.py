"""Importing clients from CSV: the mapping guessed from the headers, row errors before
anything is written, duplicates (against the firm and within the file) skipped or updated,
encodings, limits, one transaction, and the firm's scope."""

from __future__ import annotations

import codecs

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from models import AuditEvent, Client
from portal.services import client_import, runner
from portal.services.client_import import CsvFile, Progress
from portal.services.errors import Invalid, Refused
from tests.factories import make_client

HEADER = "Client name,BN,Contact,E-mail,Phone,Address,Notes\n"
MAPPING = [
    "name",
    "business_number",
    "contact_name",
    "contact_email",
    "phone",
    "address",
    "notes",
]


def csv_file(text: str, name: str = "clients.csv", encoding: str = "utf-8") -> CsvFile:
    return CsvFile(name=name, data=text.encode(encoding))


def firm_clients(session: Session, world) -> dict[str, Client]:
    session.expire_all()
    rows = session.exec(select(Client).where(Client.firm_id == world.firm.id)).all()
    return {c.name: c for c in rows}


def count(session: Session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def preview(session, actor, text: str, **kw):
    return client_import.preview(session=session, actor=actor, upload=csv_file(text), **kw)


def run(session, actor, text: str, on_duplicate="skip", **kw):
    return client_import.import_clients(
        session=session,
        actor=actor,
        upload=kw.pop("upload", None) or csv_file(text),
        mapping=kw.pop("mapping", MAPPING),
        on_duplicate=on_duplicate,
        **kw,
    )


# --- the mapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Client name", "BN", "Contact", "E-mail", "Phone", "Address", "Notes"],
            MAPPING,
        ),
        (
            ["  CLIENT NAME ", "Business No.", "Contact Person", "Email Address", "Tel."],
            ["name", "business_number", "contact_name", "contact_email", "phone"],
        ),
        (
            ["Company", "business_number", "Primary contact", "Mail", "Mobile", "Comments"],
            ["name", "business_number", "contact_name", "contact_email", "phone", "notes"],
        ),
        # Unknown columns are left out; a field is taken by its first column only; a
        # full-width "email" is an email.
        (
            ["Name", "Client", "Fax", "\uff45\uff4d\uff41\uff49\uff4c"],
            ["name", "", "", "contact_email"],
        ),
    ],
)
def test_the_mapping_is_guessed_from_the_headers(headers, expected):
    assert client_import.guess_mapping(headers) == expected


def test_the_preview_shows_the_mapping_first_rows_and_writes_nothing(session, world):
    actor = world.actor(session, world.staff)
    before = count(session, Client)
    text = HEADER + "".join(
        f"Client {n},12345 678{n} RT0001,Pat {n},pat{n}@example.com,555-010{n},{n} Main St,\n"
        for n in range(8)
    )
    view = preview(session, actor, text)
    assert [c.field for c in view.columns] == MAPPING
    assert [c.header for c in view.columns][:2] == ["Client name", "BN"]
    assert view.rows == 8 and view.new == 8 and view.error_rows == 0
    assert len(view.sample) == client_import.SAMPLE_ROWS
    assert view.sample[0][:2] == ["Client 0", "12345 6780 RT0001"]
    assert count(session, Client) == before

    # A mapping changed by the person: the name column left out blocks the import.
    changed = preview(session, actor, text, mapping=["", *MAPPING[1:]])
    assert "No column holds the client's name" in changed.blocking
    with pytest.raises(Invalid, match="Two columns"):
        preview(session, actor, text, mapping=["name", "name", *MAPPING[2:]])
    with pytest.raises(Invalid, match="from the list"):
        preview(session, actor, text, mapping=["name", "password_hash", *MAPPING[2:]])


def test_a_file_whose_headers_name_no_client_column_says_so(session, world):
    actor = world.actor(session, world.staff)
    view = preview(session, actor, "Maple Leaf,123\nRiver,456\n")
    assert view.blocking.startswith("No column holds the client's name")
    with pytest.raises(Invalid, match="No column holds the client's name"):
        run(session, actor, "Maple Leaf,123\nRiver,456\n", mapping=["", ""])


# --- row errors ------------------------------------------------------------------------------


BAD_ROWS = (
    HEADER
    + "Good One Ltd.,,,good@example.com,,,\n"
    + ",,Nobody,,,,\n"
    + "Bad Mail Inc.,,,not-an-address,,,\n"
    + "Ragged Co.,1,2,x@example.com,4,5,6,7,8\n"
    + ("L" * 201)
    + ",,,,,,\n"
    + "Good Two Ltd.,,,,,,\n"
)


def test_row_errors_are_listed_before_anything_is_written(session, world):
    actor = world.actor(session, world.staff)
    view = preview(session, actor, BAD_ROWS)
    assert view.error_rows == 4 and view.new == 2
    assert view.errors == [
        "Row 3: Client name cannot be empty.",
        "Row 4: Contact email must be a valid email address, like name@example.com.",
        "Row 5: it has 9 values but the header has 7 columns. Check for a comma that is not "
        "inside quotes.",
        "Row 6: Client name can be at most 200 characters.",
    ]
    before = count(session, Client)
    # Without the person's say-so, rows with errors block the import: nothing is written.
    with pytest.raises(Invalid, match="4 rows have errors, so nothing was imported"):
        run(session, actor, BAD_ROWS)
    assert count(session, Client) == before
    result = run(session, actor, BAD_ROWS, skip_errors=True)
    assert (result.created, result.error_rows) == (2, 4)
    assert {"Good One Ltd.", "Good Two Ltd."} <= set(firm_clients(session, world))


def test_names_are_cleaned_like_the_hand_form(session, world):
    actor = world.actor(session, world.staff)
    text = HEADER + (
        "\u200fNorth\u200b  Star\u202e Ltd.,,,,,,\n"  # RTL mark, zero-width space, bidi override
        "Café 🍰 Bakery,,,,,,\n"
        "\u200b\u200d,,,,,,\n"  # looks blank: refused like a blank name
    )
    view = preview(session, actor, text)
    assert view.errors == ["Row 4: Client name cannot be empty."]
    run(session, actor, text, skip_errors=True)
    names = set(firm_clients(session, world))
    assert {"North Star Ltd.", "Café 🍰 Bakery"} <= names


# --- duplicates ------------------------------------------------------------------------------


def dupes_text() -> str:
    return HEADER + (
        "MAPLE  LEAF cafe inc.,,New Contact,new@maple.example,,,\n"  # same name as existing
        "Renamed Dental,11111 2222 RT0001,,,,,Moved\n"  # same BN as River Valley Dental
        "Fresh Client Ltd.,99999 8888,,,,,\n"
        "FRESH  client Ltd.,,,,555-0199,,\n"  # same name as row 4, within the file
        "Other Fresh,99999-8888,,,,,\n"  # same BN as row 4, written differently
    )


def prepare_dupes(session, world):
    world.other_client.business_number = "111112222RT0001"
    session.add(world.other_client)
    session.commit()


def test_duplicates_are_flagged_and_skipped(session, world):
    prepare_dupes(session, world)
    actor = world.actor(session, world.staff)
    view = preview(session, actor, dupes_text())
    assert (view.new, view.duplicates, view.within_file) == (1, 2, 2)
    listed = {(d.row, d.matches, d.outcome) for d in view.duplicate_rows}
    assert listed == {
        (2, "Maple Leaf Cafe Inc. (same name)", "skipped"),
        (3, "River Valley Dental (same business number)", "skipped"),
        (5, "row 4 of this file (same name)", "skipped"),
        (6, "row 4 of this file (same business number)", "skipped"),
    }
    before = firm_clients(session, world)
    result = run(session, actor, dupes_text())
    assert (result.created, result.updated, result.skipped) == (1, 0, 4)
    after = firm_clients(session, world)
    assert set(after) - set(before) == {"Fresh Client Ltd."}
    assert after["Fresh Client Ltd."].phone == ""
    assert (
        after["Maple Leaf Cafe Inc."].contact_email == before["Maple Leaf Cafe Inc."].contact_email
    )


def test_duplicates_are_updated_when_chosen(session, world):
    prepare_dupes(session, world)
    actor = world.actor(session, world.staff)
    version = world.client.version
    view = preview(session, actor, dupes_text(), on_duplicate="update")
    assert {d.outcome for d in view.duplicate_rows} == {
        "updates Maple Leaf Cafe Inc.",
        "updates River Valley Dental",
        "merged into row 4",
    }
    result = run(session, actor, dupes_text(), on_duplicate="update")
    assert (result.created, result.updated, result.skipped) == (1, 2, 0)
    after = firm_clients(session, world)
    maple = after["Maple Leaf Cafe Inc."]
    # Only the cells the file has values for (an empty cell clears nothing); found by its
    # name, the client keeps the firm's spelling of it (it is in the dict under it).
    assert (maple.contact_name, maple.contact_email) == ("New Contact", "new@maple.example")
    assert maple.version == version + 1
    renamed = after.get("Renamed Dental")
    assert renamed is not None and renamed.notes == "Moved" and renamed.id == world.other_client.id
    assert renamed.bn_key == "111112222RT0001"
    # Rows 5 and 6 merged into row 4's new client, row 6 (same business number) naming it.
    fresh = after["Other Fresh"]
    assert fresh.phone == "555-0199" and fresh.business_number == "99999-8888"
    assert "Fresh Client Ltd." not in after
    # The search finds the updated client by its new name.
    assert renamed.name_key == "renameddental" and "renamed dental" in renamed.search_key

    actions = session.exec(
        select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.firm_id == world.firm.id)
    ).all()
    [summary] = [d for a, d in actions if a == "clients_imported"]
    assert "1 client created, 2 updated" in summary and "import of clients.csv" in summary
    assert sum(a == "client_created" for a, _ in actions) == 1
    assert sum(a == "client_updated" for a, _ in actions) == 2


def test_a_row_matching_two_clients_is_skipped_even_on_update(session, world):
    prepare_dupes(session, world)
    actor = world.actor(session, world.staff)
    # The name of one client, the business number of another.
    text = HEADER + "Maple Leaf Cafe Inc.,111112222RT0001,,,,,\n"
    view = preview(session, actor, text, on_duplicate="update")
    assert view.ambiguous == 1 and view.new == 0
    assert view.duplicate_rows[0].outcome == "skipped (matches several clients)"
    with pytest.raises(Invalid, match="Nothing to import"):
        run(session, actor, text, on_duplicate="update")


def test_another_firms_clients_are_never_matched_or_updated(session, world):
    actor = world.actor(session, world.staff)
    outsider = world.outsider_client
    outsider_version = outsider.version
    text = HEADER + f"{outsider.name},,Intruder,,,,\n"
    view = preview(session, actor, text, on_duplicate="update")
    assert (view.new, view.duplicates) == (1, 0)
    run(session, actor, text, on_duplicate="update")
    session.expire_all()
    theirs = session.get(Client, outsider.id)
    assert theirs.contact_name == "" and theirs.version == outsider_version
    ours = firm_clients(session, world)[outsider.name]
    assert ours.firm_id == world.firm.id and ours.contact_name == "Intruder"


def test_bookkeepers_cannot_preview_or_import(session, world):
    actor = world.actor(session, world.bk1)
    with pytest.raises(Refused):
        preview(session, actor, HEADER + "X,,,,,,\n")
    with pytest.raises(Refused):
        run(session, actor, HEADER + "X,,,,,,\n")


# --- encodings, malformed and huge files -----------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        ("Client name;Phone\nCafé Zoë;1\n").encode(),
        codecs.BOM_UTF8 + ("Client name,Phone\nCafé Zoë,1\n").encode(),
        ("Client name\tPhone\r\nCafé Zoë\t1\r\n").encode("utf-16"),  # with its BOM
        codecs.BOM_UTF16_BE + ("Client name,Phone\nCafé Zoë,1\n").encode("utf-16-be"),
    ],
    ids=["utf8-semicolons", "utf8-bom", "utf16-le-bom-tabs", "utf16-be-bom"],
)
def test_utf8_and_utf16_with_bom_are_read(session, world, data):
    actor = world.actor(session, world.staff)
    view = client_import.preview(session=session, actor=actor, upload=CsvFile("c.csv", data))
    assert [c.field for c in view.columns] == ["name", "phone"]
    assert view.sample == [["Café Zoë", "1"]] and view.new == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("Client name\nCafé Zoë\n".encode("cp1252"), "Save it as CSV UTF-8"),
        ("Client name\nCafé\n".encode("utf-16-le"), "does not look like CSV text"),
        (b"PK\x03\x04" + b"\x00" * 100, "spreadsheet workbook"),
        (b"", "The file is empty."),
        (b"Client name\n", "no clients under it"),
        (b'Client name,Phone\n"Unclosed,1\nNext,2\n', "cannot be read as CSV"),
        (b'Client name,Phone\nA "quoted" mid,1\n"x"y,2\n', "Row 3 cannot be read as CSV"),
    ],
    ids=["cp1252", "utf16-no-bom", "xlsx", "empty", "header-only", "open-quote", "bad-quote"],
)
def test_a_file_that_cannot_be_read_says_why_and_writes_nothing(session, world, data, message):
    actor = world.actor(session, world.staff)
    before = count(session, Client)
    with pytest.raises(Invalid, match=message):
        client_import.preview(session=session, actor=actor, upload=CsvFile("c.csv", data))
    with pytest.raises(Invalid, match=message):
        client_import.import_clients(
            session=session,
            actor=actor,
            upload=CsvFile("c.csv", data),
            mapping=["name"],
            on_duplicate="skip",
        )
    assert count(session, Client) == before


def test_limits_on_size_and_rows(session, world, monkeypatch):
    actor = world.actor(session, world.staff)
    too_big = CsvFile("big.csv", b"Client name,Notes\n" + b"x," + b"n" * client_import.MAX_BYTES)
    with pytest.raises(Invalid, match="at most 5 MB and 20,000 rows"):
        client_import.preview(session=session, actor=actor, upload=too_big)
    monkeypatch.setattr(client_import, "MAX_ROWS", 3)
    with pytest.raises(Invalid, match="more than 3 rows"):
        preview(session, actor, "Client name\nA\nB\nC\nD\n")
    # Exactly at the limit is fine.
    assert preview(session, actor, "Client name\nA\nB\nC\n").new == 3


# --- one transaction -------------------------------------------------------------------------


def test_a_failure_midway_writes_nothing(session, world, monkeypatch):
    monkeypatch.setattr(client_import, "CHUNK", 10)
    actor = world.actor(session, world.staff)
    session.commit()
    clients_before, audit_before = count(session, Client), count(session, AuditEvent)
    text = HEADER + "".join(f"Batch Client {n},,,,,,\n" for n in range(35))
    seen: list[tuple[int, int]] = []

    def report(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= 20:
            raise RuntimeError("the disk filled up")

    with pytest.raises(RuntimeError):
        runner.perform(
            client_import.import_clients,
            actor=actor,
            upload=csv_file(text),
            mapping=MAPPING,
            on_duplicate="skip",
            progress=Progress(report),
        )
    assert seen == [(0, 35), (10, 35), (20, 35)]
    assert (count(session, Client), count(session, AuditEvent)) == (clients_before, audit_before)

    # The same import without the failure writes all of it, reporting its progress.
    seen.clear()
    result = runner.perform(
        client_import.import_clients,
        actor=actor,
        upload=csv_file(text),
        mapping=MAPPING,
        on_duplicate="skip",
        progress=Progress(lambda done, total: seen.append((done, total))),
    )
    assert result.created == 35 and seen[-1] == (35, 35) and len(seen) == 5
    assert count(session, Client) == clients_before + 35


def test_a_file_names_itself_by_digest_so_submission_keys_stay_small():
    upload = csv_file(HEADER + "A,,,,,,\n")
    assert str(upload).startswith("clients.csv:") and len(str(upload)) < 100
    assert str(Progress(print)) == "progress"


def test_duplicates_of_existing_clients_are_found_whatever_the_spelling(session, world):
    make_client(session, world.firm, "\uff2eorthern  Lights", business_number="777 888 999")
    session.commit()
    actor = world.actor(session, world.staff)
    view = preview(session, actor, HEADER + "northern lights,,,,,,\nOther,777888999,,,,,\n")
    assert view.duplicates == 2 and view.new == 0


def test_a_client_renamed_by_an_earlier_row_is_found_under_its_new_name(session, world):
    prepare_dupes(session, world)
    actor = world.actor(session, world.staff)
    text = HEADER + (
        "Renamed Dental,111112222RT0001,,,,,\n"  # River Valley Dental, by its number
        "renamed dental,,,,555-0111,,\n"  # the name it now has: the same client
        "New One,555,,,,,\n"
        "Newer One,555,,,,,\n"  # merged into row 4, renaming it
        "NEWER one,,,,555-0122,,\n"  # the name row 4 now has
    )
    result = run(session, actor, text, on_duplicate="update")
    assert (result.created, result.updated, result.skipped) == (1, 1, 0)
    after = firm_clients(session, world)
    assert after["Renamed Dental"].phone == "555-0111"
    assert after["Newer One"].phone == "555-0122" and "New One" not in after


def test_rows_without_business_numbers_never_match_clients_without_one(session, world):
    # The firm's clients have no business number; neither has any row of this file.
    actor = world.actor(session, world.staff)
    view = preview(session, actor, HEADER + "Brand New Co.,,,,,,\nAnother New Co.,,,,,,\n")
    assert (view.new, view.duplicates, view.ambiguous) == (2, 0, 0)
