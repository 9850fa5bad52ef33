"""Typed text is cleaned in one place, the base form (``campaign.forms.FlaskForm``): every
hostile character through every form that stores text, read back from the database.

A single-line field keeps no line break (each becomes a space), a text area keeps its
paragraphs as LF only (CRLF and bare CR were stored as typed, and a bare CR in an event title
injected a VEVENT into every calendar feed), TAB and every other C0/C1 control character
becomes a space. Joiners and direction marks are Persian and Urdu text and stay.
"""

import importlib
import pkgutil
import unicodedata

import flask_wtf
import pytest
from sqlalchemy import select

import campaign
from campaign.extensions import db
from campaign.forms import FlaskForm, one_line, text_block
from campaign.groups import service as groups
from campaign.models import Campaign, Event, Group, Membership, Organiser, Slogan
from tests.factories import volunteer
from tests.helpers import event_form, sign_in, submit

#: Every line break (CRLF, CR, LF, VT, FF, NEL, U+2028, U+2029), TAB, C0 and C1 controls
#: and DEL, a zero-width non-joiner (kept: Persian needs it). No NUL: errors.py refuses it.
HOSTILE = "Ab\r\nBc\rCd\nDe\tEf\x01Fg\x7fGh\x85Hi\u2028Ij\u2029Jk\x0bKl\x0cLm\x1fMn\x9fNo\u200cOp"
ONE_LINE = "Ab Bc Cd De Ef Fg Gh Hi Ij Jk Kl Lm Mn No\u200cOp"
TEXT_BLOCK = "Ab\nBc\nCd\nDe Ef Fg Gh\nHi\nIj\nJk\nKl\nLm Mn No\u200cOp"


def controls(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch) == "Cc" and ch != "\n"]


def test_the_cleaning_rules():
    assert one_line(HOSTILE) == ONE_LINE
    assert text_block(HOSTILE) == TEXT_BLOCK
    assert one_line(None) is None and text_block(None) is None
    assert one_line("من\u200cهزاره\u200f") == "من\u200cهزاره\u200f"  # format characters stay


def test_every_form_of_the_app_is_built_on_the_cleaning_base():
    for module in pkgutil.walk_packages(campaign.__path__, "campaign."):
        if not module.name.startswith("campaign.migrations"):
            importlib.import_module(module.name)
    forms = []
    pending = [flask_wtf.FlaskForm]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__.startswith("campaign."):
                forms.append(subclass)
    assert len(forms) > 20
    skipping = [form.__qualname__ for form in forms if not issubclass(form, FlaskForm)]
    assert not skipping, f"forms that do not clean their text: {skipping}"


def test_a_password_is_taken_exactly_as_typed(app):
    from campaign.accounts.forms import LoginForm

    with app.test_request_context(
        "/auth/login", method="POST", data={"email": "a@b.c\r\n", "password": "p\tw\x01"}
    ):
        form = LoginForm(meta={"csrf": False})
        assert form.password.data == "p\tw\x01"
        assert form.email.data == "a@b.c "


@pytest.fixture
def admin_client(client, make_organiser):
    admin = make_organiser(is_admin=True)
    assert sign_in(client, admin.email).status_code == 302
    return client


def stored_ok(value: str, multi_line: bool) -> None:
    assert not controls(value), repr(value)
    assert "\r" not in value
    if multi_line:
        assert value == TEXT_BLOCK, repr(value)
    else:
        assert "\n" not in value
        assert " ".join(value.split()) == " ".join(ONE_LINE.split()), repr(value)


def test_event_form(admin_client, make_campaign):
    from datetime import UTC, datetime, timedelta

    campaign_ = make_campaign()
    start = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=10)
    fields = event_form(
        campaign_.id,
        start,
        start + timedelta(hours=2),
        title=HOSTILE,
        venue_name=HOSTILE,
        address=HOSTILE,
        city=HOSTILE,
        description=HOSTILE,
    )
    response = submit(admin_client, "/organise/events/new", fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalars(select(Event).where(Event.campaign_id == campaign_.id)).one()
    for name in ("title", "venue_name", "address", "city"):
        stored_ok(getattr(event, name), multi_line=False)
    stored_ok(event.description, multi_line=True)


def test_campaign_form(admin_client):
    fields = {
        "name": HOSTILE,
        "slug": "hostile-text",
        "description": HOSTILE,
        "pledge": HOSTILE,
        "default_min_group_size": "3",
        "default_max_group_size": "8",
        "retention_days": "7",
        "languages": "en\tfa\r\nur",
    }
    response = submit(admin_client, "/organise/campaigns/new", fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    stored = db.session.scalars(select(Campaign).where(Campaign.slug == "hostile-text")).one()
    stored_ok(stored.name, multi_line=False)
    stored_ok(stored.description, multi_line=True)
    stored_ok(stored.pledge, multi_line=True)
    assert stored.language_list == ["en", "fa", "ur"]


def test_slogan_in_the_bank(client, make_campaign):
    campaign_ = make_campaign()
    assert sign_in(client, campaign_.admins[0].email).status_code == 302
    url = f"/organise/campaigns/{campaign_.slug}/slogans"
    fields = {"text": "WE\rSTAND\x01 " + HOSTILE, "language": "en", "kind": "call", "theme": ""}
    assert submit(client, url, fields).status_code == 302
    slogan = db.session.scalars(select(Slogan).where(Slogan.campaign_id == campaign_.id)).one()
    assert slogan.text.startswith("WE STAND ")
    stored_ok(slogan.text[len("WE STAND ") :], multi_line=False)


@pytest.fixture
def member(make_event):
    event = make_event()
    joined = groups.start_group(event, volunteer())
    db.session.commit()
    return joined


def test_member_name_when_joining(client, make_event):
    event = make_event()
    fields = {"display_name": HOSTILE[:40], "contact": "+12015550123", "pledge": "y", "mode": "new"}
    response = submit(client, f"/e/{event.ref}/join", fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    query = select(Membership.display_name).join(Group).where(Group.event_id == event.id)
    name = db.session.scalars(query).one()
    assert " ".join(name.split()) == " ".join(one_line(HOSTILE[:40]).split()), repr(name)
    assert not controls(name) and "\n" not in name


def test_group_name_meeting_point_and_suggestion(client, member):
    page = f"/me/{member.token}"
    assert submit(client, f"{page}/rename", {"name": HOSTILE[:40]}, form_from=page).status_code
    fields = {"meeting_point": HOSTILE, "meeting_at": ""}
    submit(client, f"{page}/meeting", fields, form_from=page)
    suggestion = {"text": "ANSWER\r\nUS\x01 " + HOSTILE[:30], "language": "en", "kind": "call"}
    submit(client, f"{page}/slogans/suggest", suggestion, form_from=page)
    db.session.expire_all()
    group = member.membership.group
    assert group.name.startswith("Ab Bc Cd De Ef Fg") and not controls(group.name)
    # The groups service keeps format characters too (tests/groups/test_text_fidelity.py).
    assert group.meeting_point.split() == ONE_LINE.split()
    assert not controls(group.meeting_point)
    suggested = db.session.scalars(select(Slogan).where(Slogan.text.like("ANSWER%"))).one()
    assert suggested.text.startswith("ANSWER US ") and not controls(suggested.text)


def test_organiser_name_at_registration(client):
    password = "violet tractor climbs the spoon"
    fields = {
        "display_name": HOSTILE[:40],
        "email": "hostile@example.org",
        "password": password,
        "confirm": password,
    }
    assert submit(client, "/auth/register", fields).status_code == 302
    organiser = db.session.scalars(
        select(Organiser).where(Organiser.email == "hostile@example.org")
    ).one()
    assert not controls(organiser.display_name) and "\r" not in organiser.display_name


def test_a_form_sent_as_json_is_cleaned_the_same(admin_client, make_campaign):
    """Flask-WTF fills a form from a JSON body too (campaign/form_values.py lets only text
    through): the same fields, the same cleaning."""
    from datetime import UTC, datetime, timedelta

    from tests.helpers import csrf_token

    campaign_ = make_campaign()
    start = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=10)
    fields = event_form(campaign_.id, start, start + timedelta(hours=2), title=HOSTILE)
    token = csrf_token(admin_client, "/organise/events/new")
    fields["csrf_token"] = token
    headers = {"X-CSRFToken": token}
    response = admin_client.post("/organise/events/new", json=fields, headers=headers)
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalars(select(Event).where(Event.campaign_id == campaign_.id)).one()
    stored_ok(event.title, multi_line=False)
