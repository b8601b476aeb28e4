"""Clients: firm-wide for staff, never across firms, no list at all for bookkeepers."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import AuditEvent, Client
from portal.services import clients
from portal.services.errors import Conflict, Duplicate, Invalid, NotFound, Refused
from tests.factories import make_client


def test_staff_see_their_firm_only(session, world):
    staff = world.actor(session, world.staff)
    page = clients.list_clients(session=session, actor=staff)
    assert [r.name for r in page.rows] == ["Maple Leaf Cafe Inc.", "River Valley Dental"]
    with pytest.raises(NotFound):
        clients.get_client(session=session, actor=staff, client_id=world.outsider_client.id)


def test_bookkeepers_have_no_client_list(session, world):
    with pytest.raises(Refused):
        clients.list_clients(session=session, actor=world.actor(session, world.bk1))


def test_search_matches_name_number_and_contact_and_treats_wildcards_literally(session, world):
    make_client(session, world.firm, "Acme 100% Widgets", business_number="123456789RC0001")
    make_client(session, world.firm, "Zed Corp", contact_name="Hannah Ortiz")
    session.commit()
    staff = world.actor(session, world.staff)

    def names(term):
        return [
            r.name for r in clients.list_clients(session=session, actor=staff, search=term).rows
        ]

    assert names("acme") == ["Acme 100% Widgets"]
    assert names("123456789") == ["Acme 100% Widgets"]
    assert names("ortiz") == ["Zed Corp"]
    assert names("100%") == ["Acme 100% Widgets"]
    assert names("%") == ["Acme 100% Widgets"]
    assert names("_") == []
    assert names("Beta") == []  # another firm's client never shows


def test_search_ignores_case_width_and_spacing_and_never_spans_two_fields(session, world):
    make_client(
        session,
        world.firm,
        "\uff2e\uff4f\uff52\uff54\uff48  Straße Bakery",  # full-width "North"
        business_number="12345 6789 RT0001",
        contact_name="Zoë Ng",
    )
    session.commit()
    staff = world.actor(session, world.staff)

    def found(term):
        return clients.list_clients(session=session, actor=staff, search=term).total

    assert found("north strasse") == 1  # full-width letters, ß, doubled space
    assert found("NORTH STRASSE bakery") == 1
    assert found("123456789") == 1  # the number however it was spaced
    assert found("6789 rt") == 1  # or as typed
    assert found("ZOË") == 1
    assert found("bakery 12345") == 0  # name and number are separate fields
    assert found("rt0001 zoë") == 0


def test_search_follows_an_edited_client(session, world):
    staff = world.actor(session, world.staff)
    client = clients.list_clients(session=session, actor=staff, search="maple").rows[0]
    info = clients.get_client(session=session, actor=staff, client_id=client.id)
    seen = {k: v for k, v in info.__dict__.items() if k not in ("id", "version")}
    clients.update_client(
        session=session,
        actor=staff,
        client_id=client.id,
        form={**seen, "name": "Birch Bark Cafe Inc."},
        seen=seen,
    )
    session.commit()
    assert clients.list_clients(session=session, actor=staff, search="maple").total == 0
    assert clients.list_clients(session=session, actor=staff, search="birch").total == 1


def test_paging(session, world):
    for i in range(30):
        make_client(session, world.firm, f"Client {i:02d}")
    session.commit()
    staff = world.actor(session, world.staff)
    first = clients.list_clients(session=session, actor=staff, page=1)
    second = clients.list_clients(session=session, actor=staff, page=2)
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (32, 2, 25, 7)
    assert not {r.id for r in first.rows} & {r.id for r in second.rows}
    assert clients.list_clients(session=session, actor=staff, page=99).page == 2


def test_create_client_and_audit(session, world):
    staff = world.actor(session, world.staff)
    new_id = clients.create_client(
        session=session,
        actor=staff,
        form={"name": "  New Co.  ", "contact_email": "Boss@NewCo.example", "notes": "hi"},
    )
    created = session.get(Client, new_id)
    assert (created.name, created.contact_email, created.firm_id) == (
        "New Co.",
        "boss@newco.example",
        world.firm.id,
    )
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "client_created")).one()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": ""}, "Client name cannot be empty"),
        ({"name": "   "}, "Client name cannot be empty"),
        ({"name": "X" * 201}, "at most 200"),
        ({"name": "Ok", "contact_email": "not an email"}, "valid email"),
    ],
)
def test_bad_client_input_changes_nothing(session, world, form, message):
    before = session.exec(select(Client)).all()
    with pytest.raises(Invalid, match=message):
        clients.create_client(session=session, actor=world.actor(session, world.staff), form=form)
    session.rollback()
    assert session.exec(select(Client)).all() == before


def test_two_people_editing_different_fields_both_keep_their_change(session, world):
    staff = world.actor(session, world.staff)
    admin = world.actor(session, world.admin)
    seen = clients.edit_values(
        clients.get_client(session=session, actor=staff, client_id=world.client.id)
    )
    clients.update_client(
        session=session,
        actor=admin,
        client_id=world.client.id,
        form={**seen, "phone": "416-555-0000"},
        seen=seen,
    )
    session.commit()
    clients.update_client(
        session=session,
        actor=staff,
        client_id=world.client.id,
        form={**seen, "name": "Maple Leaf Café Inc."},
        seen=seen,
    )
    session.commit()
    kept = clients.get_client(session=session, actor=staff, client_id=world.client.id)
    assert (kept.name, kept.phone) == ("Maple Leaf Café Inc.", "416-555-0000")


def test_the_same_field_changed_meanwhile_is_a_conflict_naming_who_and_what(session, world):
    staff = world.actor(session, world.staff)
    admin = world.actor(session, world.admin)
    seen = clients.edit_values(
        clients.get_client(session=session, actor=staff, client_id=world.client.id)
    )
    clients.update_client(
        session=session,
        actor=admin,
        client_id=world.client.id,
        form={**seen, "phone": "416-555-0000"},
        seen=seen,
    )
    session.commit()
    with pytest.raises(Conflict) as clash:
        clients.update_client(
            session=session,
            actor=staff,
            client_id=world.client.id,
            form={**seen, "name": "Renamed", "phone": "905-555-1111"},
            seen=seen,
        )
    session.rollback()
    assert clash.value.fields == ("phone",)
    assert "Ada Admin changed this client" in clash.value.message
    assert "Phone is now “416-555-0000”" in clash.value.message
    kept = clients.get_client(session=session, actor=staff, client_id=world.client.id)
    # Nothing of the loser's was written, not even the field nobody else touched.
    assert (kept.name, kept.phone) == ("Maple Leaf Cafe Inc.", "416-555-0000")


def test_saving_what_someone_else_already_saved_is_no_conflict(session, world):
    staff = world.actor(session, world.staff)
    admin = world.actor(session, world.admin)
    seen = clients.edit_values(
        clients.get_client(session=session, actor=staff, client_id=world.client.id)
    )
    for actor in (admin, staff):
        clients.update_client(
            session=session,
            actor=actor,
            client_id=world.client.id,
            form={**seen, "phone": "416-555-0000"},
            seen=seen,
        )
        session.commit()


def test_bookkeeper_cannot_create_or_edit_clients(session, world):
    bk = world.actor(session, world.bk1)
    with pytest.raises(Refused):
        clients.create_client(session=session, actor=bk, form={"name": "Mine"})
    with pytest.raises(Refused):
        clients.update_client(
            session=session, actor=bk, client_id=world.client.id, form={"name": "x"}, seen={}
        )


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ({"name": "Maple Leaf Cafe Inc."}, {"name": "maple  leaf CAFE inc."}),
        ({"name": "Maple Leaf Cafe Inc."}, {"name": "MapleLeaf Cafe Inc."}),
        (
            {"name": "North Co.", "business_number": "123456789 RT 0001"},
            {"name": "Northern Company", "business_number": "123456789-rt0001"},
        ),
    ],
    ids=["case-and-spaces", "no-space", "same-business-number"],
)
def test_a_likely_duplicate_is_refused_until_confirmed(session, world, existing, typed):
    staff = world.actor(session, world.staff)
    if existing["name"] != world.client.name:
        clients.create_client(session=session, actor=staff, form=existing)
        session.commit()
    before = len(session.exec(select(Client)).all())
    with pytest.raises(Duplicate) as warned:
        clients.create_client(session=session, actor=staff, form=typed)
    session.rollback()
    assert "looks like a client you already have" in warned.value.message
    assert existing["name"] in warned.value.message
    assert ".." not in warned.value.message  # "Inc." ends the sentence once
    assert len(session.exec(select(Client)).all()) == before
    clients.create_client(session=session, actor=staff, form=typed, allow_duplicate=True)
    assert len(session.exec(select(Client)).all()) == before + 1


def test_another_firms_client_of_the_same_name_is_no_duplicate(session, world):
    outsider = world.actor(session, world.outsider)
    clients.create_client(session=session, actor=outsider, form={"name": world.client.name})


def test_renaming_into_another_client_is_refused_until_confirmed(session, world):
    staff = world.actor(session, world.staff)
    info = clients.get_client(session=session, actor=staff, client_id=world.other_client.id)
    seen = clients.edit_values(info)
    with pytest.raises(Duplicate):
        clients.update_client(
            session=session,
            actor=staff,
            client_id=world.other_client.id,
            form={**seen, "name": "MAPLE LEAF CAFE INC."},
            seen=seen,
        )
    session.rollback()
    clients.update_client(
        session=session,
        actor=staff,
        client_id=world.other_client.id,
        form={**seen, "name": "MAPLE LEAF CAFE INC."},
        seen=seen,
        allow_duplicate=True,
    )
    # Saving other fields of a client that is already a confirmed duplicate asks nothing.
    seen = clients.edit_values(
        clients.get_client(session=session, actor=staff, client_id=world.other_client.id)
    )
    clients.update_client(
        session=session,
        actor=staff,
        client_id=world.other_client.id,
        form={**seen, "phone": "416-555-0000"},
        seen=seen,
    )


def test_keyset_pages_match_the_sorted_list(session, world):
    staff = world.actor(session, world.staff)
    for n in range(60):
        make_client(session, world.firm, f"Client {n:02d}")
    session.commit()
    everyone = []
    page = clients.list_clients(session=session, actor=staff)
    while True:
        everyone += [r.name for r in page.rows]
        if page.page >= page.pages:
            break
        page = clients.list_clients(
            session=session, actor=staff, page=page.page + 1, after=page.last
        )
    expected = sorted(everyone, key=lambda name: ("".join(name.casefold().split()), name))
    assert everyone == expected and len(everyone) == 62
    back = clients.list_clients(session=session, actor=staff, page=2, before=page.first)
    by_offset = clients.list_clients(session=session, actor=staff, page=2)
    assert [r.name for r in back.rows] == [r.name for r in by_offset.rows]


def test_the_duplicate_and_search_keys_are_nfc_for_every_letter():
    """Casefolding can leave text unnormalised (a letter and a combining mark); the keys are
    stored like all text, in NFC."""
    import unicodedata

    from models.clients import name_key, search_key

    odd = []
    for code in range(0x80, 0x3400):
        if 0xD800 <= code <= 0xDFFF:
            continue
        # As every form hands text over: NFC (portal/services/inputs.py).
        name = unicodedata.normalize("NFC", f"A{chr(code)}\u0301b")
        for key in (name_key(name), search_key(name, name, name)):
            if not unicodedata.is_normalized("NFC", key):
                odd.append(hex(code))
    assert odd == []
