"""The inbound SMS endpoint without Kannel (its secret, address list, fields and senders)
and the keywords it reads. The round trip through Kannel: test_sms_gateway.py."""

from urllib.parse import quote

import pytest

from campaign.messaging import sms_inbound
from campaign.messaging.sms_inbound import Command, parse, sender_phone

SECRET = "inbound-test-secret"
PHONE = "+447911123456"


def inbound(client, *, secret=SECRET, text="HELP", sender=PHONE, **kwargs):
    query = f"from={quote(sender)}&to=12345&text={quote(text)}&charset=UTF-8&coding=0"
    if secret is not None:
        query += f"&secret={quote(secret)}"
    return client.get(f"/sms/inbound?{query}", **kwargs)


@pytest.fixture
def configured(app):
    app.config["SMS_INBOUND_SECRET"] = SECRET
    return app


@pytest.fixture
def calls(monkeypatch):
    """Every handler call, answered "ok <keyword>"."""
    seen: list[tuple[str, Command]] = []

    def record(phone, command):
        seen.append((phone, command))
        return f"ok {command.keyword}"

    for keyword in list(sms_inbound.HANDLERS):
        monkeypatch.setitem(sms_inbound.HANDLERS, keyword, record)
    return seen


# --- who may call it ---------------------------------------------------------------------


def test_without_a_secret_configured_there_is_no_endpoint(app, client, calls):
    assert not app.config.get("SMS_INBOUND_SECRET")
    assert inbound(client).status_code == 404
    assert inbound(client, secret="").status_code == 404
    assert calls == []


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1]])
def test_a_wrong_or_missing_secret_is_refused_without_details(configured, client, calls, secret):
    response = inbound(client, secret=secret)
    assert response.status_code == 403
    assert response.get_data(as_text=True) == "Forbidden\n"
    assert calls == []


def test_the_secret_may_come_as_a_header(configured, client, calls):
    response = inbound(client, secret=None, headers={"X-SMS-Secret": SECRET})
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok HELP"
    assert inbound(client, secret=None, headers={"X-SMS-Secret": "no"}).status_code == 403


def test_a_posted_form_works_too_without_a_csrf_token(configured, client, calls):
    form = {"from": PHONE, "to": "12345", "text": "link", "secret": SECRET}
    response = client.post("/sms/inbound", data=form)
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok LINK"
    assert calls == [(PHONE, Command("LINK"))]


@pytest.mark.parametrize(
    ("allowed", "status"),
    [
        ("127.0.0.1", 200),
        ("10.0.0.5, 127.0.0.0/8", 200),
        (["192.0.2.0/24", "127.0.0.1"], 200),
        ("10.0.0.0/8 192.0.2.7", 403),
        (["::1"], 403),
        ("not-an-address", 403),  # a broken setting lets nobody in
    ],
)
def test_the_address_allow_list(configured, client, calls, allowed, status):
    configured.config["SMS_INBOUND_ALLOWED_IPS"] = allowed
    response = inbound(client)  # the test client comes from 127.0.0.1
    assert response.status_code == status
    assert len(calls) == (1 if status == 200 else 0)


def test_the_allow_list_checks_the_callers_address(configured, client, calls):
    configured.config["SMS_INBOUND_ALLOWED_IPS"] = "192.0.2.1"
    assert inbound(client, environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200
    assert inbound(client, environ_base={"REMOTE_ADDR": "192.0.2.2"}).status_code == 403
    assert inbound(client).status_code == 403  # 127.0.0.1
    assert len(calls) == 1


# --- what it reads ------------------------------------------------------------------------


@pytest.mark.parametrize("sender", ["+447911123456", "447911123456", "0044 7911 123456"])
def test_the_sender_is_read_as_e164(configured, client, calls, sender):
    assert inbound(client, sender=sender).status_code == 200
    assert calls == [(PHONE, Command("HELP"))]


@pytest.mark.parametrize("sender", ["VODAFONE", "12", "+12", "", "+44 abc"])
def test_a_sender_that_is_no_phone_gets_no_reply(configured, client, calls, sender):
    response = inbound(client, sender=sender)
    assert response.status_code == 200 and response.get_data() == b""
    assert calls == []


def test_a_request_without_sender_is_a_clear_400(configured, client, calls):
    response = client.get(f"/sms/inbound?text=HELP&secret={SECRET}")
    assert response.status_code == 400 and response.get_data(as_text=True) == "Missing from\n"


def test_the_text_is_decoded_with_the_charset_kannel_names(configured, client, calls):
    latin = quote("join abcd-2345 Ren\xe9e".encode("windows-1252"))
    query = f"from=%2B447911123456&text={latin}&charset=WINDOWS-1252&coding=0&secret={SECRET}"
    assert client.get(f"/sms/inbound?{query}").status_code == 200
    assert calls == [(PHONE, Command("JOIN", ("ABCD2345", "Ren\xe9e")))]


def test_a_persian_reply_is_marked_for_ucs2(configured, client, monkeypatch):
    monkeypatch.setitem(sms_inbound.HANDLERS, "HELP", lambda _phone, _command: "راهنما")
    response = inbound(client, text="راهنما")
    assert response.get_data(as_text=True) == "راهنما"
    assert response.headers["X-Kannel-Coding"] == "2"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert inbound(client, text="?").headers["X-Kannel-Coding"] == "2"


def test_an_english_reply_goes_as_gsm_text(configured, client):
    response = inbound(client, text="nonsense")
    assert response.get_data(as_text=True) == str(sms_inbound.REPLIES["unknown"])
    assert response.headers["X-Kannel-Coding"] == "0"


def test_a_failing_handler_is_logged_rolled_back_and_answered_with_help(
    configured, client, monkeypatch, caplog
):
    def broken(_phone, _command):
        raise RuntimeError("secret detail: table memberships")

    monkeypatch.setitem(sms_inbound.HANDLERS, "SAFE", broken)
    response = inbound(client, text="SAFE")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == str(sms_inbound.REPLIES["help"])
    assert "secret detail" in caplog.text  # in the log, never in the reply


@pytest.mark.parametrize(
    ("keyword", "reply"),
    [
        ("JOIN ABCD-2345 Sara", "unknown_code"),
        ("YES", "nothing_to_accept"),
        ("LINK", "not_signed_up"),
        ("SAFE", "no_event_today"),
        ("STOP", "stopped"),
    ],
)
def test_a_stranger_gets_a_plain_answer_to_every_keyword(configured, client, keyword, reply):
    response = inbound(client, text=keyword)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == str(sms_inbound.REPLIES[reply])


# --- keywords ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("HELP", Command("HELP", (), "en")),
        ("  help!  ", Command("HELP", (), "en")),
        ("", Command("HELP", (), "en")),
        ("?", Command("HELP", (), "en")),
        ("Stop", Command("STOP", (), "en")),
        ("UNSUBSCRIBE", Command("STOP", (), "en")),
        ("yes please", Command("YES", ("please",), "en")),
        ("link", Command("LINK", (), "en")),
        ("Safe.", Command("SAFE", (), "en")),
        ("join abcd-2345 Sara Ahmadi", Command("JOIN", ("ABCD2345", "Sara Ahmadi"), "en")),
        ("JOIN ABCD 2345", Command("JOIN", ("ABCD2345", ""), "en")),
        ("JOIN: abcd2345, Sara", Command("JOIN", ("ABCD2345", "Sara"), "en")),
        ("JOIN", Command("JOIN", ("", ""), "en")),
        ("ABCD-EFGH", Command("JOIN", ("ABCDEFGH", ""), "en")),  # the code alone
        ("abcd2fgh Ali", Command("JOIN", ("ABCD2FGH", "Ali"), "en")),
        ("whatever", Command("UNKNOWN", ("whatever",), "en")),  # eight letters, no code
        ("hey there", Command("UNKNOWN", ("hey", "there"), "en")),
        # Persian: the words, Persian digits in the code, Arabic letter forms, quotes
        ("عضویت ABCD-۲۳۴۵ سارا", Command("JOIN", ("ABCD2345", "سارا"), "fa")),
        ("عضويت abcd٢٣٤٥", Command("JOIN", ("ABCD2345", ""), "fa")),
        ("بله", Command("YES", (), "fa")),
        ("لینک", Command("LINK", (), "fa")),
        ("سالم", Command("SAFE", (), "fa")),
        ("توقف", Command("STOP", (), "fa")),
        ("«راهنما»", Command("HELP", (), "fa")),
        ("سلام", Command("UNKNOWN", ("سلام",), "fa")),
        # Urdu, also typed with the Persian heh
        ("شامل ABCD-2345 علی", Command("JOIN", ("ABCD2345", "علی"), "ur")),
        ("ہاں", Command("YES", (), "ur")),
        ("هاں", Command("YES", (), "ur")),
        ("لنک", Command("LINK", (), "ur")),
        ("محفوظ", Command("SAFE", (), "ur")),
        ("بند", Command("STOP", (), "ur")),
        ("مدد", Command("HELP", (), "ur")),
    ],
)
def test_parse(text, command):
    parsed = parse(text)
    assert parsed == command and parsed.language == command.language


def test_parse_never_raises_on_odd_text():
    for text in ["\x00", "\u200c", "ـــ", "-" * 5000, "JOIN " + "x" * 3000, "🙂", "\ufeffHELP"]:
        assert parse(text).keyword in sms_inbound.HANDLERS


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("+447911123456", PHONE),
        ("447911123456", PHONE),
        ("00447911123456", PHONE),
        ("+98 912 123 4567", "+989121234567"),
        ("Vodafone", None),
        ("1234", None),
    ],
)
def test_sender_phone(raw, phone):
    assert sender_phone(raw) == phone
