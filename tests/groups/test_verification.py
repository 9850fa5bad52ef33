"""Never fewer than three real people: a member counts once their contact is proven.

The attack these tests replay: a lone volunteer starts a group; invented phone numbers
join it; before verification existed the group turned "ready — safe to go" and the fakes
saw the meeting point, the leader's name and phone."""

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from campaign.extensions import db
from campaign.groups import service, verification
from campaign.groups.service import SignUpError
from campaign.messaging.outbox import Rendered
from campaign.models import (
    GroupState,
    Membership,
    Message,
    VerificationCode,
    utcnow,
)
from tests.factories import volunteer
from tests.helpers import csrf_token, join_by_form

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def verified_event(verifying_event):
    return verifying_event


def code_sent_to(membership: Membership) -> str:
    """The newest code the outbox holds for ``membership`` (as the phone would read it)."""
    message = db.session.scalars(
        select(Message)
        .where(Message.membership_id == membership.id, Message.kind == "verify")
        .order_by(Message.id.desc())
    ).first()
    assert message is not None, "no code was sent"
    return re.search(r"\b(\d{6})\b", Rendered.from_json(message.payload).text).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def join(call, *args, **kwargs) -> service.Joined:
    joined = call(*args, **kwargs)
    db.session.commit()
    return joined


def verify(joined: service.Joined, code: str | None = None) -> str:
    outcome = service.verify(
        joined.membership, code or code_sent_to(joined.membership), joined.token
    )
    db.session.commit()
    return outcome


def test_unverified_joins_hold_seats_but_never_make_the_group_ready(verified_event):
    event = verified_event(min_group_size=3, max_group_size=5)
    leader = join(service.start_group, event, volunteer(display_name="Leader Zahra"))
    assert verify(leader) == "ok"
    fakes = [join(service.join_any_group, event, volunteer()) for _ in range(2)]
    group = leader.membership.group
    db.session.refresh(group)
    assert {f.membership.group_id for f in fakes} == {group.id}  # "join any" put them there
    assert (group.member_count, group.seat_count, group.confirming) == (1, 3, 2)
    assert group.state is GroupState.FORMING and group.needed == 2
    assert group.room == 2
    # Once both prove their phones the group is ready: the rule is about real people.
    for fake in fakes:
        assert verify(fake) == "ok"
    db.session.refresh(group)
    assert group.state is GroupState.READY and group.member_count == 3


def test_unverified_seats_fill_a_group(verified_event):
    event = verified_event(min_group_size=3, max_group_size=3)
    leader = join(service.start_group, event, volunteer())
    for _ in range(2):
        join(service.join_group, leader.membership.group, volunteer())
    with pytest.raises(SignUpError) as refused:
        service.join_group(leader.membership.group, volunteer())
    assert refused.value.code == "group_full"


def test_an_unverified_member_sees_nothing_of_the_group(app, client, verified_event):
    event = verified_event()
    leader = join(service.start_group, event, volunteer(display_name="Leader Zahra"))
    verify(leader)
    service.set_meeting(leader.membership, "Behind the red kiosk", None)
    db.session.commit()
    fake = join(service.join_group, leader.membership.group, volunteer(display_name="Fake"))
    page = client.get(f"/me/{fake.token}").get_data(as_text=True)
    assert "Confirm your contact" in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    for secret in ("Behind the red kiosk", "Leader Zahra"):
        assert secret not in page
    for path in ("state.json", "calendar.ics", "sign", "sign.pdf", "signs.pdf"):
        assert client.get(f"/me/{fake.token}/{path}").status_code == 404, path
    # The verified leader sees the newcomer only as a number, not by name.
    leader_page = client.get(f"/me/{leader.token}").get_data(as_text=True)
    assert "Behind the red kiosk" in leader_page
    assert "Fake" not in leader_page
    assert "1 person confirming their contact" in leader_page


def test_the_first_to_verify_leads_the_group(verified_event):
    event = verified_event()
    starter = join(service.start_group, event, volunteer())
    second = join(service.join_group, starter.membership.group, volunteer())
    assert not starter.membership.is_leader and not second.membership.is_leader
    assert verify(second) == "ok"
    db.session.refresh(starter.membership)
    assert second.membership.is_leader and not starter.membership.is_leader
    assert verify(starter) == "ok"
    db.session.refresh(second.membership)
    assert second.membership.is_leader and not starter.membership.is_leader


def test_a_squatted_contact_is_freed_when_its_owner_verifies(verified_event):
    event = verified_event()
    victim_phone = "+12015550777"
    squatter = join(service.start_group, event, volunteer(contact=victim_phone))
    # The owner is not refused as "already joined": the squatter never proved the number.
    owner = join(service.join_any_group, event, volunteer(contact="+1 (201) 555-0777"))
    assert owner.membership.id != squatter.membership.id
    squatter_id = squatter.membership.id
    assert verify(owner) == "ok"
    assert db.session.get(Membership, squatter_id) is None
    assert service.membership_by_token(squatter.token) is None
    # Now the contact is taken for real: a further join with it can never count.
    again = join(service.join_any_group, event, volunteer(contact=victim_phone))
    assert verify(again) == "already_joined"


def test_the_same_contact_verified_twice_keeps_the_first(verified_event):
    event = verified_event()
    first = join(service.start_group, event, volunteer(contact="+12015550778"))
    second = join(service.start_group, event, volunteer(contact="+12015550778"))
    second_id, second_code = second.membership.id, code_sent_to(second.membership)
    assert verify(first) == "ok"
    # The second membership was released by the first verification; its code is dead.
    assert db.session.get(Membership, second_id) is None
    count = db.session.scalar(
        select(func.count(Membership.id)).where(Membership.event_id == event.id)
    )
    assert count == 1 and second_code


def test_codes_are_stored_only_as_keyed_hashes(verified_event):
    event = verified_event()
    joined = join(service.start_group, event, volunteer())
    code = code_sent_to(joined.membership)
    row = db.session.scalar(select(VerificationCode))
    assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()
    assert code not in row.code_hash
    raw = db.session.execute(text("SELECT payload, recipient FROM message")).all()
    assert raw and all(code not in payload and "+1201" not in to for payload, to in raw)


def test_five_wrong_codes_kill_the_code_and_a_new_one_works(verified_event):
    event = verified_event()
    joined = join(service.start_group, event, volunteer())
    code = code_sent_to(joined.membership)
    outcomes = [verify(joined, wrong(code)) for _ in range(verification.MAX_CODE_TRIES)]
    assert outcomes == ["wrong"] * 4 + ["too_many_tries"]
    assert verify(joined, code) == "too_many_tries"
    service.resend_code(joined.membership, joined.token)
    db.session.commit()
    assert verify(joined) == "ok"


def test_a_code_expires(verified_event):
    event = verified_event()
    joined = join(service.start_group, event, volunteer())
    code = code_sent_to(joined.membership)
    row = db.session.scalar(select(VerificationCode))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert verify(joined, code) == "expired"
    assert joined.membership.verified_at is None


def test_persian_digits_are_read_as_a_code(verified_event):
    event = verified_event()
    joined = join(service.start_group, event, volunteer())
    code = code_sent_to(joined.membership)
    persian = "".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in code)
    assert verify(joined, f" {persian[:3]} {persian[3:]} ") == "ok"


def test_at_most_three_codes_per_contact_and_event_an_hour(verified_event):
    event = verified_event()
    joined = join(service.start_group, event, volunteer(contact="+12015550779"))
    for _ in range(2):
        service.resend_code(joined.membership, joined.token)
        db.session.commit()
    with pytest.raises(SignUpError) as refused:
        service.resend_code(joined.membership, joined.token)
    assert refused.value.code == "too_many_codes"
    db.session.rollback()
    # A new sign-up with the same contact is no way round it: it would need a fourth code.
    with pytest.raises(SignUpError) as refused:
        service.start_group(event, volunteer(contact="+12015550779"))
    assert refused.value.code == "too_many_codes"
    db.session.rollback()
    # An hour later the contact may ask again.
    db.session.execute(
        VerificationCode.__table__.update().values(created_at=utcnow() - timedelta(minutes=61))
    )
    db.session.commit()
    service.resend_code(joined.membership, joined.token)
    db.session.commit()


def test_the_daily_sms_budget_caps_codes_by_sms_not_by_email(verified_event):
    event = verified_event()
    event.campaign.sms_daily_budget = 2
    db.session.commit()
    for _ in range(2):
        join(service.start_group, event, volunteer())
    with pytest.raises(SignUpError) as refused:
        service.start_group(event, volunteer())
    assert refused.value.code == "sms_budget_spent"
    db.session.rollback()
    join(service.start_group, event, volunteer(contact="someone@example.org"))


def test_an_unverified_seat_is_released_after_the_hold(app, verified_event):
    event = verified_event(min_group_size=3, max_group_size=3)
    leader = join(service.start_group, event, volunteer())
    verify(leader)
    group = leader.membership.group
    stale = [join(service.join_group, group, volunteer()) for _ in range(2)]
    with pytest.raises(SignUpError):
        service.join_group(group, volunteer())
    db.session.rollback()
    held = timedelta(minutes=app.config["VERIFY_HOLD_MINUTES"], seconds=1)
    stale[0].membership.joined_at = utcnow() - held
    db.session.commit()
    newcomer = join(service.join_group, group, volunteer())
    assert db.session.get(Membership, stale[0].membership.id) is None
    assert newcomer.membership.group_id == group.id


def test_with_verification_off_a_member_counts_at_once(make_campaign, make_event):
    event = make_event(campaign=make_campaign(verify_contacts=False))
    joined = join(service.start_group, event, volunteer())
    assert joined.membership.verified_at is not None and joined.membership.is_leader
    assert db.session.scalar(select(func.count(VerificationCode.id))) == 0


def test_the_code_page_confirms_on_post_only_and_counts_wrong_guesses(client, verified_event):
    event = verified_event()
    joined = join(service.start_group, event, volunteer())
    code = code_sent_to(joined.membership)
    # The email's one-click link fills the form in; opening it (a mail scanner) confirms
    # nothing.
    page = client.get(f"/me/{joined.token}/verify?code={code}")
    assert page.status_code == 200 and f'value="{code}"' in page.get_data(as_text=True)
    db.session.refresh(joined.membership)
    assert joined.membership.verified_at is None
    token = csrf_token(client, f"/me/{joined.token}")
    answer = client.post(
        f"/me/{joined.token}/verify", data={"csrf_token": token, "code": wrong(code)}
    )
    assert answer.status_code == 400
    assert "That code is not right" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(VerificationCode.attempts)) == 1  # kept: not rolled back
    answer = client.post(f"/me/{joined.token}/verify", data={"csrf_token": token, "code": code})
    assert answer.status_code == 302 and answer.location.endswith(f"/me/{joined.token}")
    page = client.get(answer.location).get_data(as_text=True)
    assert "Confirmed: you count toward your group now." in page
    assert "Where we meet" in page


def test_a_join_through_the_form_asks_for_the_code(client, verified_event):
    event = verified_event()
    token = join_by_form(client, event.ref, "+12015550780", mode="any")
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert "We sent a 6-digit code by text message" in page
    membership = db.session.scalar(select(Membership))
    assert membership.verified_at is None
    assert code_sent_to(membership)


def test_typing_a_signed_up_contact_tells_a_stranger_nothing(client, verified_event):
    event = verified_event()
    owner = join(service.start_group, event, volunteer(contact="+12015550781"))
    verify(owner)
    # Someone else types the owner's number: the same "confirm your contact" as anyone.
    stranger = join(service.join_any_group, event, volunteer(contact="+12015550781"))
    page = client.get(f"/me/{stranger.token}").get_data(as_text=True)
    assert "Confirm your contact" in page and "already" not in page
    # The code went to the owner's phone; only its holder learns "already joined", and the
    # place is released.
    stranger_id = stranger.membership.id
    assert verify(stranger) == "already_joined"
    assert db.session.get(Membership, stranger_id) is None
    db.session.refresh(owner.membership)
    assert owner.membership.verified_at is not None


def test_the_same_device_typing_its_contact_again_is_led_back(client, verified_event):
    event = verified_event()
    first = join_by_form(client, event.ref, "+12015550782")
    again = join_by_form(client, event.ref, "+12015550782")
    assert again == first
    assert db.session.scalar(select(func.count(Membership.id))) == 1


def test_the_public_and_the_board_count_only_verified_members(client, signed_in, verified_event):
    event = verified_event(min_group_size=3, max_group_size=5)
    leader = join(service.start_group, event, volunteer(display_name="Leader Zahra"))
    verify(leader)
    for n in range(2):
        join(service.join_group, leader.membership.group, volunteer(display_name=f"Fake {n}"))
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert "1 volunteer so far." in page
    assert "Groups: 1 forming, 0 ready, 0 full." in page
    board = signed_in(event.organiser).get(f"/organise/events/{event.ref}/board")
    text = board.get_data(as_text=True)
    assert "Leader Zahra" in text and "Fake 0" not in text
    assert "2 people confirming their contact (not counted yet)." in text
    csv = client.get(f"/organise/events/{event.ref}/signups.csv").get_data(as_text=True)
    assert "Leader Zahra" in csv and "Fake" not in csv
