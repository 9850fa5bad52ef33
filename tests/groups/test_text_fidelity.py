"""Persian text is stored as typed: the zero-width non-joiner (U+200C) is spelling, not
a control character. The words "the Hazaras" and "I want" (``HAZARAS``, ``I_WANT``) fall
apart with a space where it stood, and join into other words without it. Joiners and direction marks
stay everywhere text is typed; the bidi overrides, embeddings and isolates, which make
text read as something other than what is stored, never reach the database
(campaign/forms.py, ``UNSAFE_FORMAT``, says which and why).

Every entry point of typed text, through the page a person uses: a member's name (web
form and SMS), a group's name and meeting point, slogans (bank and suggestions), an
event's texts and their translations, the reason for a cancellation, a campaign's texts,
an organiser's name.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from campaign.extensions import db
from campaign.forms import one_line, text_block
from campaign.groups import by_contact
from campaign.groups import service as groups
from campaign.models import Campaign, Event, Group, Membership, Organiser, Slogan
from tests.factories import volunteer
from tests.helpers import event_form, sign_in, submit

ZWNJ, ZWJ, LRM, RLM, ALM = "\u200c", "\u200d", "\u200e", "\u200f", "\u061c"
HAZARAS = f"هزاره{ZWNJ}ها"
I_WANT = f"می{ZWNJ}خواهم"
WORDS = f"{HAZARAS} {I_WANT}"
#: The words with the characters that reorder or hide text around and inside them: an
#: override (RLO … PDF), an embedding (LRE), an isolate (RLI … PDI, and one left open,
#: FSI), a deprecated digit-shape control, a byte order mark, an interlinear annotation.
TYPED = f"\u202e{HAZARAS}\u202c \u202a{I_WANT}\u202c\u2067\u2069\u2068\u206e\ufeff\ufff9\ufffb"


def kept_whole(stored: str, expected: str = WORDS) -> None:
    assert stored == expected, ascii(stored)
    assert HAZARAS in stored.split() and I_WANT in stored.split()


# --- the rules -----------------------------------------------------------------------------


def test_joiners_and_marks_stay_and_reordering_characters_go():
    marks = f"{ZWJ}{LRM}{RLM}{ALM}"
    for clean in (one_line, text_block, groups._plain):
        kept_whole(clean(WORDS))
        assert clean(f"{WORDS}{marks}") == f"{WORDS}{marks}", clean
        kept_whole(clean(TYPED))
    assert groups._plain(f"{HAZARAS}\x00{I_WANT}\u2028") == WORDS  # controls: spaces, as before


# --- members and groups --------------------------------------------------------------------


@pytest.fixture
def member(make_campaign, make_event):
    event = make_event(campaign=make_campaign(languages=["en", "fa"]))
    joined = groups.start_group(event, volunteer())
    db.session.commit()
    return joined


def test_a_member_name_typed_in_the_join_form(client, make_event):
    event = make_event()
    fields = {"display_name": TYPED, "contact": "+12015550123", "pledge": "y", "mode": "new"}
    response = submit(client, f"/e/{event.ref}/join", fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    query = select(Membership.display_name).join(Group).where(Group.event_id == event.id)
    kept_whole(db.session.scalars(query).one())


def test_a_member_name_sent_by_sms(make_event):
    event = make_event()
    group = groups.start_group(event, volunteer()).membership.group
    db.session.commit()
    phone = "+12015550177"
    answer = by_contact.sms_join(phone, group.join_code, TYPED, "fa")
    assert answer.code == "pledge", answer
    assert by_contact.sms_yes(phone).code == "joined"
    db.session.commit()
    names = {m.display_name for m in db.session.get(Group, group.id).members}
    kept_whole(next(name for name in names if not name.startswith("Volunteer")))


def test_a_member_name_given_to_the_service(make_event):
    joined = groups.start_group(make_event(), volunteer(display_name=TYPED))
    kept_whole(joined.membership.display_name)


def test_the_group_name_and_meeting_point(client, member):
    page = f"/me/{member.token}"
    assert submit(client, f"{page}/rename", {"name": TYPED}, form_from=page).status_code == 302
    fields = {"meeting_point": f"{TYPED} — {TYPED}", "meeting_at": ""}
    assert submit(client, f"{page}/meeting", fields, form_from=page).status_code == 302
    db.session.expire_all()
    group = member.membership.group
    kept_whole(group.name)
    kept_whole(group.meeting_point, f"{WORDS} — {WORDS}")
    # And as the members read them.
    shown = client.get(page).get_data(as_text=True)
    assert HAZARAS in shown and I_WANT in shown


def test_the_group_services_directly(member):
    groups.rename_group(member.membership, TYPED)
    groups.set_meeting(member.membership, TYPED, None)
    group = member.membership.group
    kept_whole(group.name)
    kept_whole(group.meeting_point)


# --- slogans -------------------------------------------------------------------------------


def test_a_suggested_slogan(client, member):
    page = f"/me/{member.token}"
    suggestion = {"text": TYPED, "language": "fa", "kind": "call"}
    response = submit(client, f"{page}/slogans/suggest", suggestion, form_from=page)
    assert response.status_code == 302, response.get_data(as_text=True)
    kept_whole(db.session.scalars(select(Slogan.text).where(Slogan.language == "fa")).one())


def test_a_slogan_in_the_bank(client, make_campaign):
    campaign = make_campaign()
    assert sign_in(client, campaign.admins[0].email).status_code == 302
    url = f"/organise/campaigns/{campaign.slug}/slogans"
    fields = {"text": TYPED, "language": "fa", "kind": "call", "theme": ""}
    assert submit(client, url, fields).status_code == 302
    query = select(Slogan.text).where(Slogan.campaign_id == campaign.id)
    kept_whole(db.session.scalars(query).one())


# --- events, campaigns, organisers ---------------------------------------------------------


@pytest.fixture
def admin_client(client, make_organiser):
    assert sign_in(client, make_organiser(is_admin=True).email).status_code == 302
    return client


def test_an_event_and_its_translation_and_cancellation(admin_client, make_campaign):
    campaign = make_campaign(languages=["en", "fa"])
    start = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=10)
    texts = {name: TYPED for name in ("title", "venue_name", "address", "city", "description")}
    fields = event_form(campaign.id, start, start + timedelta(hours=2), **texts)
    response = submit(admin_client, "/organise/events/new", fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalars(select(Event).where(Event.campaign_id == campaign.id)).one()
    for name in texts:
        kept_whole(getattr(event, name))

    url = f"/organise/events/{event.ref}/translations"
    response = submit(admin_client, url, {"description__fa": TYPED})
    assert response.status_code == 302, response.get_data(as_text=True)
    url = f"/organise/events/{event.ref}/cancel"
    response = submit(admin_client, url, {"reason": TYPED})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    kept_whole(event.description_translations["fa"])
    kept_whole(event.cancel_reason)


def test_a_campaign(admin_client):
    fields = {
        "name": TYPED,
        "slug": "text-fidelity",
        "description": TYPED,
        "pledge": TYPED,
        "default_min_group_size": "3",
        "default_max_group_size": "8",
        "retention_days": "7",
        "languages": "fa en",
    }
    response = submit(admin_client, "/organise/campaigns/new", fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    stored = db.session.scalars(select(Campaign).where(Campaign.slug == "text-fidelity")).one()
    for name in ("name", "description", "pledge"):
        kept_whole(getattr(stored, name))
    url = "/organise/campaigns/text-fidelity/edit"
    edit = {**fields, "name": WORDS, "description__en": TYPED, "pledge__en": TYPED}
    response = submit(admin_client, url, edit)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert stored.translations["en"] == {"description": WORDS, "pledge": WORDS}


def test_an_organiser_name(client):
    password = "violet tractor climbs the spoon"
    fields = {
        "display_name": TYPED,
        "email": "fidelity@example.org",
        "password": password,
        "confirm": password,
    }
    assert submit(client, "/auth/register", fields).status_code == 302
    query = select(Organiser.display_name).where(Organiser.email == "fidelity@example.org")
    kept_whole(db.session.scalars(query).one())
