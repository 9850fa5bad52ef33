"""A volunteer who joins with an email address, end to end over a real SMTP server
(aiosmtpd): the code arrives, it verifies, the confirmation is in the member's language
with a plain part and one-click unsubscribe, and unsubscribing stops what is queued."""

import re

import pytest
from sqlalchemy import select

from campaign.extensions import db
from campaign.groups import service
from campaign.messaging.delivery import deliver_due
from campaign.models import Membership, Message, MessageStatus
from tests.factories import volunteer
from tests.helpers import csrf_token, join_by_form

EMAIL = "maryam@example.org"


@pytest.fixture
def mailed(app, smtp_server, make_campaign, make_event):
    """An event of a verifying campaign, its app sending mail to the test SMTP server."""
    app.config.update(smtp_server.config())
    return make_event(campaign=make_campaign(verify_contacts=True, languages=["en", "fa"]))


def join_in(client, event, language: str = "en"):
    client.get(f"/language/{language}")
    return join_by_form(client, event.ref, EMAIL)


def plain(received) -> str:
    part = received.message.get_body(preferencelist=("plain",))
    return part.get_content()


def test_the_code_arrives_by_email_and_verifies(client, smtp_server, mailed):
    token = join_in(client, mailed)
    assert deliver_due().sent == 1
    mail = smtp_server.wait_for(lambda r: EMAIL in r.rcpt_tos)
    code = re.search(r"\b(\d{6})\b", mail.message["Subject"]).group(1)
    assert code in plain(mail) and f"/me/{token}/verify?code={code}" in plain(mail)
    assert "List-Unsubscribe" not in mail.message  # a code is no mailing
    page = client.get(f"/me/{token}")
    answer = client.post(
        f"/me/{token}/verify",
        data={"csrf_token": csrf_token(client, f"/me/{token}"), "code": code},
    )
    assert answer.status_code == 302 and page.status_code == 200
    db.session.rollback()
    member = db.session.scalar(select(Membership))
    assert member.verified_at is not None


def test_the_confirmation_is_in_persian_with_one_click_unsubscribe(client, smtp_server, mailed):
    token = join_in(client, mailed, "fa")
    deliver_due()
    code_mail = smtp_server.wait_for(lambda r: EMAIL in r.rcpt_tos)
    code = re.search(r"\b(\d{6})\b", plain(code_mail)).group(1)
    client.post(
        f"/me/{token}/verify",
        data={"csrf_token": csrf_token(client, f"/me/{token}"), "code": code},
    )
    assert deliver_due().sent == 1
    joined = smtp_server.wait_for(lambda r: r is not code_mail and EMAIL in r.rcpt_tos)
    assert joined.message["Content-Language"] == "fa"
    assert "شما در گروهی برای" in plain(joined), plain(joined)  # "You are in a group for"
    assert f"/me/{token}" in plain(joined)
    unsubscribe = joined.message["List-Unsubscribe"].strip("<>")
    assert joined.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A message recorded before the unsubscribe is not sent after it.
    member = db.session.scalar(select(Membership))
    service.set_meeting(member, "By the fountain", None)
    db.session.commit()
    # RFC 8058: the mail provider POSTs the one-click body, without cookie or CSRF token.
    path = unsubscribe.split("://", 1)[1].split("/", 1)[1]
    answer = client.post(f"/{path}", data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    db.session.rollback()
    assert db.session.scalar(select(Membership)).messages_stopped_at is not None
    before = len(smtp_server.received)
    deliver_due()
    assert len(smtp_server.received) == before
    statuses = {m.kind: m.status for m in db.session.scalars(select(Message))}
    assert statuses["meeting"] is MessageStatus.STOPPED


def test_an_unverified_membership_gets_no_group_messages(client, smtp_server, mailed):
    first = service.start_group(mailed, volunteer(contact="first@example.org"))
    service.confirm_contact(first.membership, first.token)
    db.session.commit()
    join_in(client, mailed)  # unverified: only its code
    service.set_meeting(first.membership, "By the fountain", None)
    db.session.commit()
    deliver_due()
    kinds = sorted(
        db.session.scalars(
            select(Message.kind).join(Membership).where(Membership.display_name == "Maryam")
        )
    )
    assert kinds == ["verify"]
