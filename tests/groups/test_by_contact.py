"""What a volunteer can do knowing only their contact: a lost link goes only to the verified
contact; joining, "LINK", "SAFE" and "STOP" by SMS (the gateway itself is tested in
tests/messaging/)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.groups import by_contact, service
from campaign.messaging.outbox import Rendered
from campaign.models import Membership, Message, VerificationCode, utcnow
from tests.factories import volunteer
from tests.helpers import csrf_token

PHONE = "+12015550901"


@pytest.fixture
def verified_event(verifying_event):
    return verifying_event


def messages(kind: str) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.kind == kind)))


def link_in(message: Message) -> str:
    return re.search(r"https?://\S+/me/(\S+)", Rendered.from_json(message.payload).text).group(1)


def test_a_lost_link_goes_only_to_the_verified_contact(client, make_event):
    event = make_event()
    joined = service.start_group(event, volunteer(contact=PHONE))
    db.session.commit()
    url = f"/e/{event.ref}/my-link"
    for typed in ("+1 201 555 0901", "+12015550999"):  # the member's, and nobody's
        page = client.post(url, data={"csrf_token": csrf_token(client, url), "contact": typed})
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "If that contact is confirmed in a group for this event" in text
        assert "/me/" not in text  # never on the page
    sent = messages("link")
    assert len(sent) == 1 and sent[0].recipient == PHONE and sent[0].channel.value == "sms"
    new_token = link_in(sent[0])
    assert service.membership_by_token(joined.token) is None  # the old link is dead
    assert service.membership_by_token(new_token).id == joined.membership.id


def test_a_bad_contact_is_told_beside_the_field(client, make_event):
    event = make_event()
    url = f"/e/{event.ref}/my-link"
    page = client.post(url, data={"csrf_token": csrf_token(client, url), "contact": "12"})
    assert "This does not look like a phone number" in page.get_data(as_text=True)


def test_links_are_capped_per_hour(make_event):
    event = make_event()
    service.start_group(event, volunteer(contact=PHONE))
    db.session.commit()
    for _ in range(by_contact.LINKS_PER_HOUR + 2):
        by_contact.send_my_link(event, PHONE)
        db.session.commit()
    assert len(messages("link")) == by_contact.LINKS_PER_HOUR


def test_an_unverified_contact_gets_no_link(verified_event):
    event = verified_event()
    service.start_group(event, volunteer(contact=PHONE))
    db.session.commit()
    by_contact.send_my_link(event, PHONE)
    db.session.commit()
    assert messages("link") == []


def test_join_by_sms_then_yes_makes_a_verified_member(verified_event):
    event = verified_event()
    group = service.start_group(event, volunteer()).membership.group
    db.session.commit()
    answer = by_contact.sms_join(PHONE, group.display_code.lower(), "Ali", "fa")
    db.session.commit()
    assert answer.code == "pledge" and answer.values["pledge"] == event.campaign.pledge
    assert db.session.scalar(select(func.count(Membership.id))) == 1  # nothing yet
    answer = by_contact.sms_yes(PHONE)
    db.session.commit()
    assert answer.code == "joined"
    member = db.session.scalar(select(Membership).where(Membership.display_name == "Ali"))
    assert member.group_id == group.id and member.verified_at is not None
    assert member.language == "fa" and member.contact == PHONE
    # The SMS proved the phone: no code was sent; the member link was.
    assert (
        db.session.scalar(
            select(func.count(VerificationCode.id)).where(
                VerificationCode.membership_id == member.id
            )
        )
        == 0
    )
    assert [m.membership_id for m in messages("joined")] == [member.id]
    assert by_contact.sms_yes(PHONE).code == "nothing_to_accept"


def test_join_by_sms_frees_a_squatted_number(verified_event):
    event = verified_event()
    squatter = service.start_group(event, volunteer(contact=PHONE))
    db.session.commit()
    squatter_id = squatter.membership.id
    group = service.start_group(event, volunteer()).membership.group
    db.session.commit()
    by_contact.sms_join(PHONE, group.join_code, "Owner", "en")
    by_contact.sms_yes(PHONE)
    db.session.commit()
    assert db.session.get(Membership, squatter_id) is None


def test_an_unknown_code_and_a_late_yes(verified_event):
    event = verified_event()
    assert by_contact.sms_join(PHONE, "ZZZZ-ZZZZ", "", "en").code == "unknown_code"
    group = service.start_group(event, volunteer()).membership.group
    db.session.commit()
    by_contact.sms_join(PHONE, group.join_code, "", "en")
    db.session.commit()
    db.session.execute(
        by_contact.SmsJoinRequest.__table__.update().values(
            created_at=utcnow() - by_contact.SMS_JOIN_WAITS - timedelta(seconds=1)
        )
    )
    assert by_contact.sms_yes(PHONE).code == "nothing_to_accept"


def test_safe_and_stop_by_sms(make_event):
    event = make_event()
    joined = service.start_group(event, volunteer(contact=PHONE))
    event.starts_at = utcnow() - timedelta(hours=1)  # on now
    db.session.commit()
    assert by_contact.sms_safe(PHONE).code == "home_safe"
    assert by_contact.sms_stop(PHONE).code == "stopped"
    db.session.commit()
    db.session.refresh(joined.membership)
    assert joined.membership.home_safe_at is not None
    assert joined.membership.messages_stopped_at is not None
    assert by_contact.sms_safe("+12015550999").code == "no_event_today"
    assert by_contact.sms_link("+12015550999").code == "not_signed_up"
    assert by_contact.sms_link(PHONE).code == "link_sent"


def test_one_phone_may_send_only_a_few_joins(verified_event):
    event = verified_event()
    group = service.start_group(event, volunteer()).membership.group
    db.session.commit()
    answers = [
        by_contact.sms_join(PHONE, group.join_code, "", "en").code
        for _ in range(by_contact.SMS_JOINS_PER_WAIT + 2)
    ]
    assert answers == ["pledge"] * by_contact.SMS_JOINS_PER_WAIT + ["too_many_joins"] * 2
