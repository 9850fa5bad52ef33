"""Only text reaches a form field: a file part, or a JSON number, list or object, is refused
with a 400 and a clear message, on every POST route, writing nothing.

Flask-WTF feeds a form from ``request.files`` and ``request.form`` together, or from a JSON
body, so a multipart file part named like a text field reached WTForms' ``Length`` as a
``FileStorage`` (a 500), and a JSON number reached it as an ``int``. Each POST route is built
as ``tests/test_csrf.py`` builds it (real objects, data that would be accepted), then each
field in turn is sent as a file, and as each kind of JSON value that is not text.
"""

import io
import json

import pytest

from tests.helpers import csrf_token
from tests.test_csrf import CASES, RATE_LIMITS, World, case_id, database_snapshot

REFUSED = "This form takes typed text only"

#: JSON values no text box sends.
NOT_TEXT = {"number": 5, "true": True, "null": None, "list of numbers": [1], "object": {"a": 1}}


@pytest.fixture(autouse=True)
def generous_rate_limits(app):
    for name in RATE_LIMITS:
        app.config[f"RATELIMIT_{name}"] = "10000 per minute"


@pytest.fixture
def world(make_organiser, make_campaign, make_event):
    return World(make_organiser, make_campaign, make_event)


def file_part() -> tuple[io.BytesIO, str]:
    return (io.BytesIO(b"not a text value"), "photo.jpg")


def assert_refused(response, before, what: str) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 400, f"{what}: {response.status_code} {body[:500]}"
    assert REFUSED in body, f"{what}: {body[:500]}"
    assert database_snapshot() == before, f"{what}: the database changed"


@pytest.mark.parametrize("key", sorted(CASES), ids=case_id)
def test_a_file_in_any_field_is_refused(client, world, key):
    post = CASES[key](world, client, key[1])
    token = csrf_token(client, "/auth/login")
    data = {**post.data, post.token_field: token}
    before = database_snapshot()
    # Every field the form fills, the honeypot, and a name no form has.
    for name in [*post.data, "website", "unexpected"]:
        response = client.post(post.url, data={**data, name: file_part()})
        assert_refused(response, before, f"a file as {name!r}")


@pytest.mark.parametrize("key", sorted(CASES), ids=case_id)
def test_a_json_value_that_is_not_text_is_refused(client, world, key):
    post = CASES[key](world, client, key[1])
    token = csrf_token(client, "/auth/login")
    before = database_snapshot()
    # Every kind of value in one field (the check is the same for every field), then JSON
    # bodies that are no object of fields at all.
    name = next(iter(post.data), "website")
    for kind, value in NOT_TEXT.items():
        response = client.post(
            post.url,
            data=json.dumps({**post.data, name: value}),
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )
        assert_refused(response, before, f"{kind} as {name!r}")
    for body in ("[1, 2]", '"text"', "5"):  # not an object of fields at all
        response = client.post(
            post.url, data=body, content_type="application/json", headers={"X-CSRFToken": token}
        )
        assert_refused(response, before, f"JSON body {body}")


def test_text_sent_as_multipart_or_json_is_still_accepted(client, world):
    """The refusal is about the values, not the encoding."""
    post = CASES[("groups.join_event", "")](world, client, "")
    token = csrf_token(client, "/auth/login")
    response = client.post(
        post.url, data={**post.data, "csrf_token": token}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/me/")
    post = CASES[("groups.join_by_code", "")](world, client, "")
    response = client.post(
        post.url,
        data=json.dumps(post.data),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/me/")
