"""Every code a service can raise has a message, in English, Persian and Urdu; a code
without one never reaches a person.

The codes are found by reading the source: the first argument of every ``…Error("code")``
a feature raises (its own exception, or the contact and template errors it passes on), and
the ``(field, "code")`` problems of the modules that raise several problems at once."""

import ast
import logging
import re
from pathlib import Path

import pytest
from flask import get_flashed_messages
from flask_babel import force_locale

import campaign
from campaign import create_app
from campaign.accounts.forms import ACCOUNT_MESSAGES
from campaign.campaigns.forms import CAMPAIGN_ERROR_MESSAGES
from campaign.events.forms import EVENT_ERROR_MESSAGES
from campaign.groups.forms import SIGNUP_ERROR_MESSAGES
from campaign.groups.service import SignUpError
from campaign.service_calls import apply_change
from campaign.service_errors import COMMON_MESSAGES, UNWORDED_REFUSAL, message_for
from campaign.slogans.forms import SLOGAN_ERROR_MESSAGES

#: Exception class → the message table of the feature whose pages show it.
TABLES = {
    "EventError": EVENT_ERROR_MESSAGES,
    "CampaignError": CAMPAIGN_ERROR_MESSAGES,
    "SignUpError": SIGNUP_ERROR_MESSAGES,
    "ContactError": SIGNUP_ERROR_MESSAGES,  # passed on as a SignUpError
    "SloganError": SLOGAN_ERROR_MESSAGES,
    "TemplateError": SLOGAN_ERROR_MESSAGES,  # passed on as a SloganError
    "AccountError": ACCOUNT_MESSAGES,
    "NotAllowed": COMMON_MESSAGES,
}
CODE = re.compile(r"^[a-z][a-z0-9_]*$")
SOURCE = Path(campaign.__file__).parent


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _raised_codes(tree: ast.AST) -> set[tuple[str, str]]:
    """(exception class, code) for each ``SomeError("code", …)`` in a module."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node) in TABLES and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add((_name(node), first.value))
    return found


def _problem_codes(tree: ast.AST) -> set[tuple[str, str]]:
    """(exception class, code) for each ``(field, "code")`` pair in a module that raises
    its problems all at once with ``SomeError.several(problems)``."""
    raisers = {
        node.func.value.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "several"
        and isinstance(node.func.value, ast.Name)
    }
    pairs = {
        node.elts[1].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Tuple)
        and len(node.elts) == 2
        and isinstance(node.elts[1], ast.Constant)
        and isinstance(node.elts[1].value, str)
        and CODE.match(node.elts[1].value)
    }
    return {(raiser, code) for raiser in raisers for code in pairs}


def raisable_codes() -> set[tuple[str, str]]:
    codes = set()
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        codes |= _raised_codes(tree) | _problem_codes(tree)
    return codes | {("NotAllowed", "not_allowed")}


CODES = sorted(raisable_codes())


@pytest.fixture(scope="module")
def babel_app(tmp_path_factory):
    """One app for the whole module: these tests read catalogs, not a database."""
    instance = tmp_path_factory.mktemp("instance")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CAMPAIGN_INSTANCE_PATH", str(instance))
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
        )
    return app


def test_the_scan_finds_the_codes_of_every_feature():
    """A refactor that hides codes from the scan must fail here, not pass quietly."""
    found = set(CODES)
    for expected in [
        ("EventError", "unknown_country"),
        ("EventError", "place_time_needs_admin"),
        ("EventError", "wrong_status"),
        ("CampaignError", "bad_slug"),
        ("SignUpError", "group_full"),
        ("ContactError", "bad_phone"),
        ("SloganError", "blocked"),
        ("TemplateError", "unknown_placeholder"),
        ("AccountError", "wrong_password"),
    ]:
        assert expected in found
    assert len(found) > 60


@pytest.mark.parametrize(("error", "code"), CODES, ids=[f"{e}-{c}" for e, c in CODES])
def test_every_code_has_a_message_in_english_persian_and_urdu(babel_app, error, code):
    table = TABLES[error]
    assert code in table or code in COMMON_MESSAGES, f"{error}({code!r}) has no message"
    message = message_for(code, table)
    with babel_app.test_request_context("/"):
        with force_locale("en"):
            english = str(message)
        assert english and english != code
        for language in ("fa", "ur"):
            with force_locale(language):
                translated = str(message)
            assert translated != english, f"{code!r} is not translated into {language}"
            assert re.search("[\u0600-\u06ff]", translated), translated


def test_a_code_without_a_message_is_logged_and_worded_in_general(caplog):
    with caplog.at_level(logging.ERROR, logger="campaign.service_errors"):
        message = message_for("no_such_code", SIGNUP_ERROR_MESSAGES)
    assert message is UNWORDED_REFUSAL
    assert "no_such_code" in caplog.text


def test_no_raw_code_reaches_a_person(babel_app, caplog):
    def refuse():
        raise SignUpError("made_up_code")

    with babel_app.test_request_context("/", headers={"Accept-Language": "ur"}):
        response = apply_change(refuse, done="Done.", back="/back", messages=SIGNUP_ERROR_MESSAGES)
        [(category, shown)] = get_flashed_messages(with_categories=True)
        with force_locale("ur"):
            general = str(UNWORDED_REFUSAL)
    assert response.status_code == 302 and response.headers["Location"] == "/back"
    assert category == "error"
    assert str(shown) == general and "made_up_code" not in str(shown)
    assert "made_up_code" in caplog.text
