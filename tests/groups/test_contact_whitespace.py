"""A phone number typed or pasted with any whitespace is the same number: tabs, no-break and
thin spaces, line breaks (a number copied from a contact card or a spreadsheet)."""

import pytest

from campaign.extensions import db
from campaign.groups import service
from campaign.groups.contacts import normalise_contact
from campaign.models import ContactKind
from tests.factories import volunteer

SPACES = {
    "tab": "\t",
    "no-break space": "\u00a0",
    "narrow no-break space": "\u202f",
    "thin space": "\u2009",
    "figure space": "\u2007",
    "ideographic space": "\u3000",
    "line feed": "\n",
    "carriage return and line feed": "\r\n",
    "line separator": "\u2028",
    "two tabs": "\t\t",
}


@pytest.mark.parametrize("space", SPACES.values(), ids=SPACES.keys())
def test_any_whitespace_inside_a_phone_number_is_ignored(space):
    typed = f"{space}+44{space}7911{space}123456{space}"
    assert normalise_contact(typed, "gb") == (ContactKind.PHONE, "+447911123456")
    national = f"07911{space}123{space}456"
    assert normalise_contact(national, "gb") == (ContactKind.PHONE, "+447911123456")


def test_whitespace_inside_an_email_address_is_still_refused():
    with pytest.raises(ValueError, match="bad_email"):
        normalise_contact("someone\t@example.org", "gb")
    assert normalise_contact("\tsomeone@example.org\u00a0", "gb") == (
        ContactKind.EMAIL,
        "someone@example.org",
    )


def test_a_number_typed_with_tabs_joins_and_counts_as_the_same_person(make_event):
    event = make_event()
    joined = service.start_group(event, volunteer(contact="+1\t201\t555\t0199"))
    db.session.commit()
    assert joined.membership.contact == "+12015550199"
    with pytest.raises(service.SignUpError) as refused:
        service.join_group(joined.membership.group, volunteer(contact="+1 201\u00a0555 0199"))
    assert refused.value.code == "already_joined"
