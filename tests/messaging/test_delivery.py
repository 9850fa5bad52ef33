"""Delivering the outbox in this process, through an injected transport: each due message
sent once, retried with backoff, failed after the last try, retried by an organiser; its
text gone once sent; the console refused over https; ``flask deliver``."""

import logging
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from campaign.extensions import db
from campaign.messaging import delivery
from campaign.messaging.delivery import deliver_due, deliver_one, transport_for
from campaign.messaging.outbox import Rendered
from campaign.messaging.transport import ConsoleTransport, TransportError
from campaign.models import Channel, Message, MessageStatus, utcnow
from tests.messaging.outbox_rows import add_messages, message, statuses
from tests.messaging.transports import RecordingTransport


@pytest.fixture
def transport(app):
    recording = RecordingTransport()
    app.extensions[delivery.TRANSPORTS] = {"email": recording, "sms": recording}
    return recording


def test_due_messages_are_sent_once(app, transport):
    ids = add_messages(3) + add_messages(2, prefix="p", channel=Channel.SMS)

    counts = deliver_due()

    assert (counts.sent, counts.retrying, counts.failed) == (5, 0, 0)
    assert sorted(transport.keys) == sorted(
        [f"test:m:{i}" for i in range(3)] + ["test:p:0", "test:p:1"]
    )
    first = transport.sent[transport.keys.index("test:m:0")]
    assert (first.to, first.subject, first.channel) == ("m0@example.org", "Hello 0", "email")
    assert "secret-m-0" in first.text
    assert deliver_due().sent == 0  # nothing twice
    assert len(transport.sent) == 5
    for message_id in ids:
        row = message(message_id)
        assert row.status is MessageStatus.SENT
        assert row.sent_at is not None and row.attempts == 1 and row.lease_until is None


def test_a_sent_message_keeps_no_text(app, transport):
    (message_id,) = add_messages(1)
    deliver_due()
    assert message(message_id).payload == ""
    # Stored encrypted, and empty once decrypted: no member link left in the database.
    stored = db.session.execute(
        text("SELECT payload FROM message WHERE id = :id"), {"id": message_id}
    ).scalar_one()
    assert "secret" not in stored


def test_a_message_waits_for_its_time(app, transport):
    later = utcnow() + timedelta(hours=2)
    (message_id,) = add_messages(1, due=later)
    assert deliver_due().sent == 0
    assert deliver_one(message_id).sent == 0
    assert deliver_due(now=later + timedelta(seconds=1)).sent == 1
    assert transport.keys == ["test:m:0"]


def test_a_temporary_error_is_retried_with_backoff(app, transport):
    (message_id,) = add_messages(1)
    transport.fail_with = TransportError("451 4.7.1 m0@example.org: try again later")
    transport.fail_times = 2
    now = utcnow()

    counts = deliver_due(now)

    assert (counts.sent, counts.retrying) == (0, 1)
    row = message(message_id)
    assert row.status is MessageStatus.QUEUED
    assert row.attempts == 1
    assert row.last_error == "451 4.7.1 <recipient>: try again later"  # no contact stored
    first_wait = row.next_attempt_at - now
    assert timedelta(seconds=59) < first_wait < timedelta(seconds=70)
    assert deliver_due(now + timedelta(seconds=30)).retrying == 0  # not due yet: no try
    assert transport.tries == 1

    assert deliver_due(now + timedelta(seconds=61)).retrying == 1
    row = message(message_id)
    second_wait = row.next_attempt_at - (now + timedelta(seconds=61))
    assert timedelta(seconds=119) < second_wait < timedelta(seconds=130)  # doubled

    assert deliver_due(now + timedelta(minutes=4)).sent == 1
    row = message(message_id)
    assert (row.status, row.attempts, row.last_error) == (MessageStatus.SENT, 3, "")


def test_the_last_try_fails_the_message(app, transport):
    app.config["MESSAGE_MAX_ATTEMPTS"] = 3
    (message_id,) = add_messages(1)
    transport.fail_with = TransportError("connection refused")
    now = utcnow()
    outcomes = []
    for hour in range(6):
        counts = deliver_due(now + timedelta(hours=hour))
        outcomes.append((counts.retrying, counts.failed))
    assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0), (0, 0)]
    assert transport.tries == 3
    row = message(message_id)
    assert (row.status, row.attempts, row.last_error) == (
        MessageStatus.FAILED,
        3,
        "connection refused",
    )


def test_the_default_is_six_tries():
    assert delivery.DEFAULTS["MESSAGE_MAX_ATTEMPTS"] == 6


def test_a_permanent_error_fails_at_once(app, transport):
    (message_id,) = add_messages(1)
    transport.fail_with = TransportError("550 5.1.1 no such user", permanent=True)
    counts = deliver_due()
    assert (counts.failed, counts.retrying) == (1, 0)
    assert transport.tries == 1
    row = message(message_id)
    assert row.status is MessageStatus.FAILED and row.last_error == "550 5.1.1 no such user"
    assert deliver_due(utcnow() + timedelta(days=1)).failed == 0
    assert transport.tries == 1


def test_a_long_reason_is_cut_to_one_line_of_200(app, transport):
    (message_id,) = add_messages(1)
    transport.fail_with = TransportError("421 busy\n" + "x" * 500)
    deliver_due()
    assert message(message_id).last_error == ("421 busy " + "x" * 500)[:200]


def test_a_transport_bug_is_retried_and_its_words_not_stored(app):
    class Broken:
        def send(self, message):
            raise ValueError(f"cannot parse {message.to} in {message.text}")

    app.extensions[delivery.TRANSPORTS] = {"email": Broken()}
    (message_id,) = add_messages(1)
    assert deliver_due().retrying == 1
    assert message(message_id).last_error == "unexpected ValueError"


def test_retry_queues_a_failed_message_again(app, transport):
    app.config["MESSAGE_MAX_ATTEMPTS"] = 2
    (message_id,) = add_messages(1)
    transport.fail_with = TransportError("refused", permanent=True)
    deliver_due()
    failed = message(message_id)
    assert failed.status is MessageStatus.FAILED

    assert delivery.retry(failed) is True
    db.session.commit()
    row = message(message_id)
    assert (row.status, row.attempts) == (MessageStatus.QUEUED, 0)

    transport.fail_with = None
    assert deliver_due().sent == 1
    sent = message(message_id)
    assert sent.status is MessageStatus.SENT
    assert delivery.retry(sent) is False  # only a failed message is retried
    assert transport.keys == ["test:m:0"]


def test_a_claim_held_by_a_live_deliverer_is_left_alone(app, transport):
    """A message another deliverer claimed (``sending``, lease not run out) is not sent
    here; once its lease runs out (the deliverer died) it is."""
    (message_id,) = add_messages(1)
    now = utcnow()
    row = message(message_id)
    row.status, row.lease_until, row.attempts = MessageStatus.SENDING, now + timedelta(minutes=5), 1
    db.session.commit()

    assert deliver_due(now).sent == 0
    assert deliver_one(message_id, now).sent == 0
    assert deliver_due(now + timedelta(minutes=6)).sent == 1
    assert transport.keys == ["test:m:0"]
    assert message(message_id).attempts == 2


def test_a_message_that_kills_every_deliverer_fails_in_the_end(app, transport):
    app.config["MESSAGE_MAX_ATTEMPTS"] = 3
    (message_id,) = add_messages(1)
    row = message(message_id)
    row.status, row.lease_until, row.attempts = MessageStatus.SENDING, utcnow(), 3
    db.session.commit()

    counts = deliver_due(utcnow() + timedelta(seconds=1))

    assert counts.sent == 0 and transport.tries == 0
    row = message(message_id)
    assert row.status is MessageStatus.FAILED
    assert row.last_error == "the deliverer stopped while sending it, every try"


def test_a_claim_that_ran_out_before_its_turn_is_not_sent(app, transport):
    """A deliverer slower than its lease (a hanging server) stops sending what it
    claimed: another deliverer may be sending it by now."""
    app.config["MESSAGE_LEASE_SECONDS"] = 1
    add_messages(3)
    record = transport.send

    def slow(message):
        record(message)
        time.sleep(1.2)  # the first send outlasts the claim on all three

    transport.send = slow
    counts = deliver_due()
    assert (counts.sent, counts.expired) == (1, 2)
    assert transport.keys == ["test:m:0"]
    assert statuses() == {"sent": 1, "sending": 2}  # taken again once the lease has passed


def test_deliver_one_sends_that_message_only(app, transport):
    first, second = add_messages(2)
    assert deliver_one(second).sent == 1
    assert transport.keys == ["test:m:1"]
    assert deliver_one(second).sent == 0
    assert message(first).status is MessageStatus.QUEUED


def test_an_unreadable_payload_fails_without_a_send(app, transport):
    (message_id,) = add_messages(1)
    db.session.execute(
        Message.__table__.update()
        .where(Message.id == message_id)
        .values(payload=Message.payload.type.process_bind_param("{not json", None))
    )
    db.session.commit()
    assert deliver_due().sent == 0
    assert message(message_id).status is MessageStatus.FAILED
    assert transport.tries == 0


# --- transports and the configuration ----------------------------------------------------


def test_the_console_prints_messages_when_nothing_is_configured(app, caplog):
    assert isinstance(transport_for("email"), ConsoleTransport)
    assert isinstance(transport_for(Channel.SMS), ConsoleTransport)
    (message_id,) = add_messages(1)
    with caplog.at_level(logging.WARNING, logger="campaign.messages"):
        assert deliver_due().sent == 1
    assert "secret-m-0" in caplog.text  # what a newcomer trying `make run` reads
    assert message(message_id).status is MessageStatus.SENT


def test_the_console_is_refused_over_https(app):
    app.config["PREFERRED_URL_SCHEME"] = "https"
    ids = add_messages(1) + add_messages(1, prefix="p", channel=Channel.SMS)

    counts = deliver_due()

    assert counts.sent == 0
    assert set(counts.unusable) == {"email", "sms"}
    assert "MAIL_SERVER is not set" in counts.unusable["email"]
    assert "SMS_GATEWAY_URL is not set" in counts.unusable["sms"]
    assert "MESSAGES_CONSOLE_ALLOWED" in counts.unusable["email"]
    assert [message(i).status for i in ids] == [MessageStatus.QUEUED] * 2  # not claimed
    with pytest.raises(delivery.ConfigurationError):
        transport_for("email")

    app.config["MESSAGES_CONSOLE_ALLOWED"] = True
    assert deliver_due().sent == 2


def test_a_configured_channel_is_delivered_when_the_other_is_refused(app, smtp_server):
    app.config.update(PREFERRED_URL_SCHEME="https", **smtp_server.config())
    add_messages(1)
    (sms_id,) = add_messages(1, prefix="p", channel=Channel.SMS)
    counts = deliver_due()
    assert counts.sent == 1 and list(counts.unusable) == ["sms"]
    assert smtp_server.wait_for().rcpt_tos == ("m0@example.org",)
    assert message(sms_id).status is MessageStatus.QUEUED


def test_smtp_is_used_when_mail_server_is_set(app, smtp_server):
    from campaign.messaging.mail import SmtpTransport

    app.config.update(smtp_server.config())
    assert isinstance(transport_for("email"), SmtpTransport)
    assert transport_for("email") is transport_for("email")  # made once per app
    add_messages(2)
    assert deliver_due().sent == 2
    received = sorted(r.rcpt_tos[0] for r in smtp_server.received)
    assert received == ["m0@example.org", "m1@example.org"]


def test_kannel_is_used_when_sms_gateway_url_is_set(app):
    from campaign.messaging.sms import KannelTransport

    app.config["SMS_GATEWAY_URL"] = "http://127.0.0.1:13013/cgi-bin/sendsms"
    assert isinstance(transport_for("sms"), KannelTransport)
    assert isinstance(transport_for("email"), ConsoleTransport)


def test_an_sms_gateway_url_that_cannot_work_is_a_configuration_error(app):
    app.config.update(SMS_GATEWAY_URL="ftp://gateway", PREFERRED_URL_SCHEME="https")
    app.config.update(MESSAGES_CONSOLE_ALLOWED=True)
    counts = deliver_due()
    assert list(counts.unusable) == ["sms"]
    assert "SMS_GATEWAY_URL must be" in counts.unusable["sms"]


def test_a_mail_setting_that_cannot_work_is_a_configuration_error(app):
    app.config.update(MAIL_SERVER="smtp.example.org", MAIL_DEFAULT_SENDER="not an address")
    counts = deliver_due()
    assert "email" in counts.unusable


# --- flask deliver -------------------------------------------------------------------------


def test_flask_deliver_sends_what_is_due_and_exits_0(app, runner, transport):
    add_messages(2)
    add_messages(1, prefix="later", due=utcnow() + timedelta(hours=1))
    result = runner.invoke(args=["deliver"])
    assert result.exit_code == 0, result.output
    assert "Sent 2, 0 to try again later, 0 failed." in result.output
    assert sorted(transport.keys) == ["test:m:0", "test:m:1"]


def test_flask_deliver_exits_0_when_sending_fails(app, runner, transport):
    add_messages(1)
    transport.fail_with = TransportError("451 later")
    result = runner.invoke(args=["deliver"])
    assert result.exit_code == 0, result.output
    assert "Sent 0, 1 to try again later, 0 failed." in result.output


def test_flask_deliver_exits_1_on_a_configuration_error(app, runner):
    app.config["PREFERRED_URL_SCHEME"] = "https"
    (message_id,) = add_messages(1)
    result = runner.invoke(args=["deliver"])
    assert result.exit_code == 1
    assert "Configuration error" in result.output
    assert "MAIL_SERVER is not set" in result.output
    assert message(message_id).status is MessageStatus.QUEUED


def test_flask_deliver_releases_seats_past_their_hold(app, runner, make_campaign, make_event):
    from campaign.groups import service
    from campaign.models import Membership
    from tests.factories import volunteer

    event = make_event(campaign=make_campaign(verify_contacts=True))
    joined = service.start_group(event, volunteer(contact="late@example.org"))
    db.session.commit()
    membership_id = joined.membership.id
    db.session.execute(
        Membership.__table__.update()
        .where(Membership.id == membership_id)
        .values(joined_at=utcnow() - timedelta(minutes=16))
    )
    db.session.commit()

    result = runner.invoke(args=["deliver"])

    assert result.exit_code == 0, result.output
    assert "Released 1 unverified seats" in result.output
    db.session.rollback()
    assert db.session.scalar(select(Membership.id).where(Membership.id == membership_id)) is None


def test_the_rendered_payload_round_trips(app, transport):
    rendered = Rendered(subject="s", text="t", unsubscribe_url="https://campaign.test/u/x")
    (message_id,) = add_messages(1)
    row = message(message_id)
    row.payload = rendered.to_json()
    db.session.commit()
    deliver_due()
    assert transport.sent[0].unsubscribe_url == "https://campaign.test/u/x"
