"""Posting random unicode, very long strings, RTL marks, NUL bytes and HTML/JS into every
public form: never a 500, nothing reflected unescaped.

Hypothesis fills the volunteer forms (join an event, join by code), the code lookup, the
campaign search and calendar feed filters, registration and sign-in, and the member page's
forms (rename, meeting point, leave, suggest a slogan) with:

* any unicode text, with NUL, right-to-left marks and overrides, BOM and line breaks mixed in;
* strings up to 5000 characters;
* injection payloads: script tags, attribute break-outs, a template expression, SQL.

Every response, and the page a redirect leads to (where stored input and flashed messages
show up), must be below 500, and an HTML page must not contain any payload's tell-tale
unescaped: a ``<script>alert(1)`` or ``<img src=x onerror`` tag, the made-up ``<zqprobe>``
tag, a ``zqattr="1`` attribute broken out of its quotes, or ``49zq`` (``{{7*7}}zq`` run
as a template). Text may contain "<" legitimately, so only these exact markers count.

Bugs found this way (a superscript page number, NUL bytes on PostgreSQL) were fixed; the
tests at the end keep them fixed.
"""

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.groups import service as groups
from campaign.models import Slogan
from campaign.slogans.service import MAX_PENDING_SUGGESTIONS_PER_EVENT
from tests.factories import volunteer
from tests.helpers import csrf_token, sign_in

RATE_LIMITS = ("SIGN_IN", "REGISTER", "JOIN", "JOIN_CODES", "SUGGEST")

#: 25 examples a test keep the file under a minute on SQLite. No example database: a
#: failure is printed with its input rather than saved and replayed from .hypothesis/.
fuzz = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(autouse=True)
def generous_rate_limits(app):
    """Hundreds of requests from one address: keep Flask-Limiter out of the way."""
    for name in RATE_LIMITS:
        app.config[f"RATELIMIT_{name}"] = "100000 per minute"


# --- what goes in ----------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><img src=x onerror=alert(1)>",
    "</textarea></title><zqprobe>",
    '" zqattr="1',
    "' zqattr='1",
    "{{7*7}}zq",
    "' OR 1=1 --",
    '"; DROP TABLE organiser; --',
    "%(name)s %s {0} \\x00",
    "javascript:alert(1)",
]

#: The payloads as they would appear only if reflected without escaping.
UNESCAPED_MARKERS = [
    "<script>alert(1)",
    "<img src=x onerror",
    "<zqprobe",
    'zqattr="1',
    "zqattr='1",
    "49zq",
]

SPECIAL_PIECES = [
    "\x00",  # NUL: PostgreSQL refuses it in text
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u200e",  # left-to-right mark
    "\u2066",  # left-to-right isolate
    "\ufeff",  # byte order mark
    "\u200b",  # zero-width space
    "\r\n",
    "\t",
    "\u2028",  # line separator
    "<",
    ">",
    '"',
    "'",
    "&",
    "\\",
    "%",
    "_",
    "{",
    "}",
    "\U0001f9d5",  # outside the BMP
    "\u0647\u0632\u0627\u0631\u0647",  # "Hazara" in Persian
]

#: Any unicode (no surrogates: they cannot be sent), with the special pieces often.
unicode_text = st.lists(
    st.one_of(st.text(max_size=12), st.sampled_from(SPECIAL_PIECES)), max_size=8
).map("".join)
payload = st.sampled_from(PAYLOADS)
long_text = st.builds(
    lambda piece, n: (piece * n)[:5000],
    st.one_of(st.text(min_size=1, max_size=8), payload),
    st.integers(min_value=30, max_value=5000),
)
text_around_payload = st.builds(lambda a, p, b: a + p + b, unicode_text, payload, unicode_text)

#: Anything a hostile or clumsy visitor could type into a text box.
hostile = st.one_of(unicode_text, payload, text_around_payload, long_text)


def sometimes(*values: str) -> st.SearchStrategy[str]:
    """Usually one of the values a form expects, otherwise anything."""
    return st.one_of(st.sampled_from(values), hostile)


phone = st.integers(min_value=0, max_value=9999).map(lambda n: f"+1201555{n:04d}")
contact = st.one_of(phone, hostile, hostile.map(lambda local: f"{local}@example.org"))
checkbox = sometimes("y", "", "on")
honeypot = st.one_of(st.just(""), hostile)

volunteer_fields = st.fixed_dictionaries(
    {
        "display_name": hostile,
        "contact": contact,
        "pledge": checkbox,
        "share_contact": checkbox,
        "website": honeypot,
    }
)
join_event_fields = st.builds(
    lambda fields, mode: {**fields, "mode": mode}, volunteer_fields, sometimes("any", "new")
)


# --- checks ----------------------------------------------------------------------------------


def assert_safe(response, what: str) -> None:
    """Below 500; an HTML page reflects no payload unescaped."""
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if response.mimetype == "text/html":
        body = response.get_data(as_text=True)
        for marker in UNESCAPED_MARKERS:
            assert marker not in body, f"{what}: {marker!r} reflected unescaped"


def follow(client: FlaskClient, response, what: str) -> None:
    """Open the page a redirect leads to (stored input and flashed messages show there)."""
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and location.startswith("/"):
        assert_safe(client.get(location), f"{what} → {location}")


def post_form(client: FlaskClient, url: str, data: dict, *, form_page: str | None = None):
    """POST with a fresh CSRF token from the form's page, then check it and its redirect."""
    data = {**data, "csrf_token": csrf_token(client, form_page or url)}
    response = client.post(url, data=data)
    assert_safe(response, f"POST {url}")
    follow(client, response, f"POST {url}")
    return response


def get_page(client: FlaskClient, url: str, params: dict):
    response = client.get(url, query_string=params)
    assert_safe(response, f"GET {url}")
    follow(client, response, f"GET {url}")
    return response


@pytest.fixture
def event(make_event):
    """Published, in a zone ahead of UTC (the first moments of year 1 do not exist there)."""
    return make_event(timezone="Asia/Karachi", city="Quetta", country="PK")


@pytest.fixture
def leader(event):
    """The leader of a group for the event, with one more member."""
    joined = groups.start_group(event, volunteer())
    db.session.commit()
    groups.join_group(joined.membership.group, volunteer())
    db.session.commit()
    return joined


# --- volunteers joining ----------------------------------------------------------------------


@fuzz
@given(fields=join_event_fields)
def test_join_event_form(client, event, fields):
    post_form(client, f"/e/{event.ref}/join", fields)


@fuzz
@given(fields=volunteer_fields)
def test_join_by_code_form(client, leader, fields):
    code = leader.membership.group.join_code
    post_form(client, f"/j/{code}", fields)


@fuzz
@given(typed=hostile, after_a_real_code=st.booleans())
def test_code_lookup(client, leader, typed, after_a_real_code):
    if after_a_real_code:  # as people type it: lower case, with a dash
        code = leader.membership.group.join_code.lower()
        typed = f"{code[:4]}-{code[4:]}{typed}"
    get_page(client, "/j", {"code": typed})


@fuzz
@given(segment=hostile)
def test_hostile_path_segments(client, event, segment):
    """Refs, codes, slugs and member tokens typed or mangled in the address bar."""
    part = quote(segment, safe="")
    for url in (f"/e/{part}", f"/e/{part}/join", f"/j/{part}", f"/c/{part}", f"/me/{part}"):
        get_page(client, url, {})


# --- finding events --------------------------------------------------------------------------

search_params = st.fixed_dictionaries(
    {},
    optional={
        "q": sometimes("hazara", "town hall"),
        "country": sometimes("PK", "gb", "XX"),
        "city": sometimes("Quetta", "london"),
        "venue_type": sometimes("government_assembly", "castle"),
        "date_from": sometimes("2030-01-01", "2030-02-30"),
        "date_to": sometimes("2020-01-01", "9999-12-31"),
        "lat": sometimes("30.18", "nan", "inf", "-91", "1e308"),
        "lon": sometimes("67.0", "-inf", "181"),
        "page": sometimes("1", "2", "0", "-1", "501", "99999999999999999999", "١"),
    },
)


@fuzz
@given(params=search_params)
def test_campaign_search(client, event, params):
    get_page(client, f"/c/{event.campaign.slug}", params)


feed_params = st.fixed_dictionaries(
    {},
    optional={
        "country": sometimes("PK", "pk", "XX", "PAK"),
        "city": sometimes("Quetta", "QUETTA"),
        "venue_type": sometimes("government_assembly", "castle"),
    },
)


@fuzz
@given(params=feed_params)
def test_campaign_calendar_feed(client, event, params):
    response = get_page(client, f"/c/{event.campaign.slug}/calendar.ics", params)
    assert response.mimetype in ("text/calendar", "text/plain", "text/html")


# --- organisers' accounts ----------------------------------------------------------------------

register_fields = st.fixed_dictionaries(
    {
        "display_name": hostile,
        "email": st.one_of(hostile, hostile.map(lambda local: f"{local}@example.org")),
        "password": sometimes("violet tractor climbs the spoon"),
        "confirm": sometimes("violet tractor climbs the spoon"),
        "website": honeypot,
    }
)


@fuzz
@given(fields=register_fields)
def test_register_form(client, fields):
    post_form(client, "/auth/register", fields)


KNOWN_EMAIL = "known@example.org"


@pytest.fixture
def known_organiser(make_organiser):
    """Wrong passwords for a real account: failures are counted, then it is locked."""
    return make_organiser(email=KNOWN_EMAIL)


@fuzz
@given(email=st.one_of(hostile, st.just(KNOWN_EMAIL)), password=hostile)
def test_sign_in_form(client, known_organiser, email, password):
    fields = {"email": email, "password": password}
    post_form(client, "/auth/login", fields)


# --- the member page ---------------------------------------------------------------------------


@fuzz
@given(name=hostile)
def test_rename_group(client, leader, name):
    post_form(client, f"/me/{leader.token}/rename", {"name": name}, form_page=f"/me/{leader.token}")


meeting_time = st.one_of(
    st.sampled_from(["", "0001-01-01T00:00", "9999-12-31T23:59", "2030-02-30T10:00"]),
    st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")),
    hostile,
)


@fuzz
@given(point=hostile, at=meeting_time)
def test_meeting_point(client, leader, point, at):
    url = f"/me/{leader.token}/meeting"
    post_form(
        client, url, {"meeting_point": point, "meeting_at": at}, form_page=f"/me/{leader.token}"
    )


@fuzz
@given(confirmed=sometimes("yes", "no", ""))
def test_leave_form(client, event, confirmed):
    joined = groups.start_group(event, volunteer())  # a new member each time: "yes" leaves
    db.session.commit()
    post_form(client, f"/me/{joined.token}/leave", {"confirmed": confirmed})


suggestion_fields = st.fixed_dictionaries(
    {
        "text": hostile,
        "language": sometimes("en", "fa", "xx"),
        "kind": sometimes("identity", "question", "call"),
        "website": honeypot,
    }
)


@pytest.fixture
def admin_signed_in(client, leader):
    """The campaign's admin, signed in on the same browser (once for all examples)."""
    admin = leader.membership.group.event.campaign.admins[0]
    assert sign_in(client, admin.email).status_code == 302


@fuzz
@given(fields=suggestion_fields)
def test_suggest_slogan(client, leader, admin_signed_in, fields):
    """The suggestion is also shown to the campaign's admin, in the slogan bank."""
    member_page = f"/me/{leader.token}"
    post_form(client, f"{member_page}/slogans/suggest", fields, form_page=member_page)
    bank = f"/organise/campaigns/{leader.membership.group.event.campaign.slug}/slogans"
    assert_safe(client.get(bank), f"GET {bank}")


def test_suggestions_beyond_the_limit_are_refused_not_broken(client, leader):
    """The pending-suggestion cap is reached quickly with random input: it is a message."""
    member_page = f"/me/{leader.token}"
    for n in range(MAX_PENDING_SUGGESTIONS_PER_EVENT + 1):
        data = {"text": f"<zqprobe> number {n}", "language": "en", "kind": "question"}
        post_form(client, f"{member_page}/slogans/suggest", data, form_page=member_page)
    stored = db.session.scalar(select(func.count(Slogan.id)))
    assert stored == MAX_PENDING_SUGGESTIONS_PER_EVENT


# --- bugs this file found, kept as regressions -------------------------------------------------


# page.isdigit() accepted '²' and '①', then int() raised: a 500.
@pytest.mark.parametrize("page", ["²", "①"])
@pytest.mark.parametrize("path", ["", "/map.json"])
def test_campaign_search_with_a_superscript_page_number(client, event, path, page):
    response = client.get(f"/c/{event.campaign.slug}{path}", query_string={"page": page})
    assert response.status_code < 500


NUL_REFUSED = "contains a character that cannot be stored (NUL)"


def assert_nul_refused(response) -> None:
    """PostgreSQL cannot store a NUL byte (it was a 500 there): every form refuses it."""
    assert response.status_code == 400
    assert NUL_REFUSED in response.get_data(as_text=True)


def test_nul_byte_in_a_new_organisers_name(client):
    password = "violet tractor climbs the spoon"
    fields = {"display_name": "Ab\x00c", "email": "ab@example.org", "password": password}
    assert_nul_refused(post_form(client, "/auth/register", {**fields, "confirm": password}))


def test_nul_byte_in_the_sign_in_email(client):
    assert_nul_refused(post_form(client, "/auth/login", {"email": "a\x00", "password": "x"}))


def test_nul_byte_in_a_suggested_slogan(client, leader):
    member_page = f"/me/{leader.token}"
    data = {"text": "HELLO\x00 WORLD", "language": "en", "kind": "question"}
    response = post_form(client, f"{member_page}/slogans/suggest", data, form_page=member_page)
    assert_nul_refused(response)


#: Organisers' forms (behind sign-in, so not fuzzed above) with the same NUL byte problem:
#: field → the form it is in.
ORGANISER_FIELDS_STORED_AS_TYPED = {
    "campaign name": ("/organise/campaigns/new", "name"),
    "campaign admin emails": ("/organise/campaigns/new", "admin_emails"),
    "event title": ("/organise/events/new", "title"),
    "slogan in the bank": ("/organise/campaigns/{slug}/slogans", "text"),
}


def organiser_form(url: str, event) -> dict[str, str]:
    """Data each organiser form above accepts."""
    if url.endswith("/slogans"):
        return {"text": "ANSWER PLEASE", "language": "en", "kind": "call", "theme": ""}
    if url.startswith("/organise/events"):
        return {
            "campaign": str(event.campaign_id),
            "title": "At the town hall",
            "venue_type": "government_assembly",
            "venue_name": "Town Hall",
            "city": "Quetta",
            "country": "PK",
            "timezone": "Asia/Karachi",
            "local_start": event.starts_at.strftime("%Y-%m-%dT%H:%M"),
            "local_end": event.ends_at.strftime("%Y-%m-%dT%H:%M"),
            "min_group_size": "3",
            "max_group_size": "8",
        }
    return {
        "name": "Another campaign",
        "slug": "another-campaign",
        "pledge": "Stay calm.",
        "default_min_group_size": "3",
        "default_max_group_size": "8",
        "retention_days": "7",
        "languages": "en",
    }


@pytest.mark.parametrize("field", ORGANISER_FIELDS_STORED_AS_TYPED)
def test_nul_byte_in_organiser_forms(client, event, field):
    admin = event.campaign.admins[0]
    assert sign_in(client, admin.email).status_code == 302
    url, name = ORGANISER_FIELDS_STORED_AS_TYPED[field]
    url = url.format(slug=event.campaign.slug)
    data = organiser_form(url, event)
    data[name] = "A\x00B@example.org" if name == "admin_emails" else "A\x00B title"
    assert_nul_refused(post_form(client, url, data))
