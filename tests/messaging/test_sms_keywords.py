"""The SMS keywords end to end: fakesmsc plays the phone, a real Kannel carries the SMS to
the app's inbound endpoint and the app's reply back to the phone."""

import re

import pytest
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.groups import service
from campaign.groups.by_contact import hash_of
from campaign.messaging import sms_inbound
from campaign.messaging.delivery import deliver_due
from campaign.models import Membership, Message, VerificationCode
from tests.factories import volunteer
from tests.helpers import join_by_form, submit
from tests.kannel import SHORT_CODE, Sms

pytestmark = pytest.mark.xdist_group("kannel")

PHONE = "+447911123460"


def english(key: str, **values) -> str:
    text = str(sms_inbound.REPLIES[key])
    return text % values if values else text


@pytest.fixture
def group(kannel, make_campaign, make_event):
    campaign = make_campaign(verify_contacts=True)
    event = make_event(campaign=campaign)
    starter = service.start_group(event, volunteer())
    db.session.commit()
    return starter.membership.group


def test_join_then_yes_makes_a_verified_member(kannel, group):
    event = group.event
    replies = kannel.phone_sends(PHONE, f"join {group.display_code.lower()} Sara")
    pledge = english("pledge", event=event.title, pledge=event.campaign.pledge)
    assert replies == [Sms(SHORT_CODE, PHONE, pledge)]
    assert kannel.phone_sends(PHONE, "YES") == [
        Sms(SHORT_CODE, PHONE, english("joined", event=event.title))
    ]
    db.session.rollback()  # a new snapshot: the app wrote in another thread
    member = db.session.scalar(select(Membership).where(Membership.contact_hash == hash_of(PHONE)))
    assert member is not None and member.display_name == "Sara"
    assert member.verified_at is not None and member.group_id == group.id
    codes = select(func.count(VerificationCode.id)).where(
        VerificationCode.membership_id == member.id
    )
    assert db.session.scalar(codes) == 0  # the SMS itself proved the phone
    joined = db.session.scalar(select(Message).where(Message.membership_id == member.id))
    assert joined.kind == "joined" and joined.recipient == PHONE


def test_an_unknown_code_and_a_yes_with_nothing_to_accept(kannel, group):
    assert kannel.phone_sends(PHONE, "JOIN ZZZZ-ZZZZ") == [
        Sms(SHORT_CODE, PHONE, english("unknown_code"))
    ]
    assert kannel.phone_sends(PHONE, "yes") == [
        Sms(SHORT_CODE, PHONE, english("nothing_to_accept"))
    ]


def test_link_stop_and_safe(kannel, group):
    assert kannel.phone_sends(PHONE, "LINK") == [Sms(SHORT_CODE, PHONE, english("not_signed_up"))]
    kannel.phone_sends(PHONE, f"JOIN {group.join_code}")
    kannel.phone_sends(PHONE, "YES")
    assert kannel.phone_sends(PHONE, "link") == [Sms(SHORT_CODE, PHONE, english("link_sent"))]
    assert kannel.phone_sends(PHONE, "SAFE") == [Sms(SHORT_CODE, PHONE, english("no_event_today"))]
    assert kannel.phone_sends(PHONE, "Stop") == [Sms(SHORT_CODE, PHONE, english("stopped"))]
    db.session.rollback()  # a new snapshot: the app wrote in another thread
    member = db.session.scalar(select(Membership).where(Membership.contact_hash == hash_of(PHONE)))
    assert member.messages_stopped_at is not None
    kinds = db.session.scalars(
        select(Message.kind).where(Message.membership_id == member.id).order_by(Message.id)
    ).all()
    assert kinds == ["joined", "link"]


def test_a_full_group_is_a_reply_not_an_error(kannel, make_campaign, make_event):
    event = make_event(campaign=make_campaign(), min_group_size=3, max_group_size=3)
    starter = service.start_group(event, volunteer())
    db.session.commit()
    group = starter.membership.group
    kannel.phone_sends(PHONE, f"JOIN {group.join_code} Sara")
    for _ in range(2):
        service.join_group(group, volunteer())
        db.session.commit()
    replies = kannel.phone_sends(PHONE, "YES")
    assert len(replies) == 1 and replies[0].text.startswith(
        "You could not join: This group is full"
    )


def test_a_code_arrives_by_sms_and_verifies(kannel, client, make_campaign, make_event):
    event = make_event(campaign=make_campaign(verify_contacts=True))
    phone = "+447911123461"
    token = join_by_form(client, event.ref, phone, name="Sara")
    assert deliver_due().sent == 1
    (sms,) = [got for got in kannel.wait_for(1) if got.receiver == phone]
    code = re.search(r"\b(\d{6})\b", sms.text).group(1)
    assert "/me/" not in sms.text  # the code, not a link, by SMS
    submit(client, f"/me/{token}/verify", {"code": code}, form_from=f"/me/{token}")
    db.session.rollback()
    member = db.session.scalar(select(Membership).where(Membership.contact_hash == hash_of(phone)))
    assert member.verified_at is not None
