"""Join flows, member pages and the organiser board through the test client, CSRF on."""

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import func, select

from campaign.extensions import db
from campaign.models import ContactAccess, EventStatus, Group, Membership, utcnow
from tests.factories import volunteer
from tests.helpers import csrf_token, local_input, sign_in

ME_LINK = re.compile(r"/me/([A-Za-z0-9_-]{32,})")


def _join(client, url, **overrides):
    data = {
        "csrf_token": csrf_token(client, url),
        "display_name": "Zahra",
        "contact": "+12015550100",
        "pledge": "y",
    }
    data.update(overrides)
    return client.post(url, data=data)


def _token(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return ME_LINK.search(response.headers["Location"]).group(1)


def _members():
    return db.session.scalar(select(func.count(Membership.id)))


def test_join_any_group_from_the_event_page(client, make_event):
    event = make_event(min_group_size=3)
    page = client.get(f"/e/{event.ref}/join").get_data(as_text=True)
    assert event.campaign.pledge.splitlines()[0] in page
    token = _token(_join(client, f"/e/{event.ref}/join", mode="any"))
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert "Keep this link" in page
    assert f"/me/{token}" in page
    assert "1 of 3 — your group needs 2 more people before it is safe to go." in page
    group = db.session.scalar(select(Group))
    assert f"/j/{group.join_code}" in page
    assert "Keep this link" not in client.get(f"/me/{token}").get_data(as_text=True)


def test_member_pages_are_private(client, make_event):
    event = make_event()
    token = _token(_join(client, f"/e/{event.ref}/join"))
    response = client.get(f"/me/{token}")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/me/not-a-real-token").status_code == 404


def test_three_volunteers_by_code_make_a_ready_group(client, app, make_event):
    event = make_event(min_group_size=3, country="US")
    leader_token = _token(_join(client, f"/e/{event.ref}/join", mode="new", display_name="Ali"))
    group = db.session.scalar(select(Group))
    typed = f"{group.join_code[:4].lower()}-{group.join_code[4:].lower()}"
    found = client.get(f"/j?code={typed}")
    assert found.headers["Location"] == f"/j/{group.join_code}"
    for n, name in enumerate(["Bano", "Cyrus"]):
        friend = app.test_client()
        _token(
            _join(
                friend, f"/j/{group.join_code}", display_name=name, contact=f"(201) 555-01{n + 10}"
            )
        )
    page = client.get(f"/me/{leader_token}").get_data(as_text=True)
    assert "3 of 3 — your group is ready: safe to go." in page
    assert "Bano" in page and "Cyrus" in page
    assert "+1201555011" not in page  # contacts not shared


def test_the_event_page_shows_counts_never_names(client, make_event):
    event = make_event(min_group_size=3)
    _token(_join(client, f"/e/{event.ref}/join", display_name="Secret Name"))
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert "Secret Name" not in page and "+1201555" not in page
    assert "1 forming, 0 ready, 0 full" in page
    assert "2 more people are needed" in page


def test_missing_pledge_and_bad_contact_are_explained(client, make_event):
    event = make_event()
    url = f"/e/{event.ref}/join"
    page = _join(client, url, pledge="").get_data(as_text=True)
    assert "You must accept the pledge to join a group." in page
    assert 'value="Zahra"' in page
    page = _join(client, url, contact="12345").get_data(as_text=True)
    assert "does not look like a phone number" in page.split('id="contact-error">')[1]
    assert _members() == 0


def test_joining_twice_from_the_same_phone_leads_back_to_the_group(client, app, make_event):
    event = make_event(country="US")
    token = _token(_join(client, f"/e/{event.ref}/join", contact="+1 201 555 0100"))
    again = _join(client, f"/e/{event.ref}/join", contact="(201) 555-0100", display_name="Z")
    assert _token(again) == token  # this device holds the token: straight back to the group
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert "You had already joined: nothing was saved twice." in page
    other_device = app.test_client()
    page = _join(other_device, f"/e/{event.ref}/join", contact="2015550100").get_data(as_text=True)
    assert "already in a group" in page and "/me/" not in page
    assert _members() == 1


def test_unknown_codes_and_hidden_events(client, make_event, make_group):
    assert client.get("/j?code=ZZZZ-ZZZZ").status_code == 404
    assert "No group has the code" in client.get("/j/ZZZZZZZZ").get_data(as_text=True)
    draft = make_event(status=EventStatus.DRAFT)
    assert client.get(f"/e/{draft.ref}/join").status_code == 404
    published = make_event()
    group = make_group(published, 1)
    published.status = EventStatus.DRAFT  # unpublished later: its codes stop working
    db.session.commit()
    assert client.get(f"/j/{group.join_code}").status_code == 404


def test_after_the_deadline_joining_is_closed(client, make_event, make_group):
    event = make_event()
    group = make_group(event, 1)
    url = f"/j/{group.join_code}"
    token = csrf_token(client, url)
    event.signup_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert "Sign-up for this event has closed." in client.get(url).get_data(as_text=True)
    page = client.post(
        url,
        data={
            "csrf_token": token,
            "display_name": "Late",
            "contact": "+12015550150",
            "pledge": "y",
        },
    ).get_data(as_text=True)
    assert "Sign-up for this event has closed." in page
    assert _members() == 1


def test_leaving_below_the_minimum_warns_first_and_tells_the_others(client, app, make_event):
    event = make_event(min_group_size=3, country="US")
    first = _token(_join(client, f"/e/{event.ref}/join", display_name="Ali"))
    code = db.session.scalar(select(Group.join_code))
    others = []
    for n, name in enumerate(["Bano", "Cyrus"]):
        friend = app.test_client()
        others.append(
            (
                friend,
                _token(_join(friend, f"/j/{code}", display_name=name, contact=f"+1201555012{n}")),
            )
        )
    friend, token = others[1]
    warning = friend.get(f"/me/{token}/leave").get_data(as_text=True)
    assert "below the 3 needed to be safe" in warning
    left = friend.post(
        f"/me/{token}/leave",
        data={"csrf_token": csrf_token(friend, f"/me/{token}/leave"), "confirmed": "yes"},
    )
    assert left.status_code == 302
    assert friend.get(f"/me/{token}").status_code == 404
    page = client.get(f"/me/{first}").get_data(as_text=True)
    assert "Cyrus left the group." in page
    assert "2 of 3 — your group needs 1 more person" in page


def test_leaving_asks_again_when_the_group_shrank_after_the_page_was_shown(client, app, make_event):
    """The page said "your group stays large enough"; someone left meanwhile: no silent drop."""
    event = make_event(min_group_size=3, country="US")
    _token(_join(client, f"/e/{event.ref}/join", display_name="Ali"))
    code = db.session.scalar(select(Group.join_code))
    members = []
    for n, name in enumerate(["Bano", "Cyrus", "Dara"]):
        friend = app.test_client()
        token = _token(_join(friend, f"/j/{code}", display_name=name, contact=f"+1201555014{n}"))
        members.append((friend, token))
    (bano, bano_token), (cyrus, cyrus_token) = members[0], members[1]
    page = bano.get(f"/me/{bano_token}/leave").get_data(as_text=True)
    assert "Your group stays large enough without you." in page
    assert 'name="confirmed" value="no"' in page
    form = {"csrf_token": csrf_token(bano, f"/me/{bano_token}/leave"), "confirmed": "no"}
    # Meanwhile Cyrus leaves: four became three.
    cyrus.post(
        f"/me/{cyrus_token}/leave",
        data={"csrf_token": csrf_token(cyrus, f"/me/{cyrus_token}/leave"), "confirmed": "no"},
    )
    assert _members() == 3
    asked = bano.post(f"/me/{bano_token}/leave", data=form)
    assert asked.status_code == 200
    assert "below the 3 needed to be safe" in asked.get_data(as_text=True)
    assert 'name="confirmed" value="yes"' in asked.get_data(as_text=True)
    assert _members() == 3


def test_leave_without_confirmation_asks(client, make_event):
    event = make_event()
    token = _token(_join(client, f"/e/{event.ref}/join"))
    response = client.post(
        f"/me/{token}/leave", data={"csrf_token": csrf_token(client, f"/me/{token}")}
    )
    assert "Leave the group?" in response.get_data(as_text=True)
    assert _members() == 1


def test_leader_sets_the_meeting_point_members_see_it_the_public_does_not(client, app, make_event):
    event = make_event(timezone="Europe/London")
    leader = _token(_join(client, f"/e/{event.ref}/join", mode="new"))
    code = db.session.scalar(select(Group.join_code))
    friend = app.test_client()
    member = _token(_join(friend, f"/j/{code}", display_name="Bano", contact="+12015550131"))
    meet = event.local_start.replace(tzinfo=None) - timedelta(minutes=30)
    response = client.post(
        f"/me/{leader}/meeting",
        data={
            "csrf_token": csrf_token(client, f"/me/{leader}"),
            "meeting_point": "Under the clock tower",
            "meeting_at": local_input(meet),
        },
    )
    assert response.status_code == 302
    page = friend.get(f"/me/{member}").get_data(as_text=True)
    assert "Under the clock tower" in page and meet.strftime("%H:%M") in page
    assert "Under the clock tower" not in client.get(f"/e/{event.ref}").get_data(as_text=True)
    # A member is not the leader: no tools, and posting is refused.
    assert "Leader tools" not in page
    friend.post(
        f"/me/{member}/rename",
        data={"csrf_token": csrf_token(friend, f"/me/{member}"), "name": "Taken over"},
    )
    assert db.session.scalar(select(Group.name)) == ""


def test_leader_removes_a_member(client, app, make_event):
    event = make_event()
    leader = _token(_join(client, f"/e/{event.ref}/join", mode="new"))
    code = db.session.scalar(select(Group.join_code))
    friend = app.test_client()
    _token(_join(friend, f"/j/{code}", display_name="Spammer", contact="+12015550141"))
    spammer = db.session.scalar(select(Membership).where(Membership.display_name == "Spammer"))
    page = client.get(f"/me/{leader}").get_data(as_text=True)
    assert f'href="/me/{leader}/remove/{spammer.id}"' in page  # a link to the question
    form = {"csrf_token": csrf_token(client, f"/me/{leader}/remove/{spammer.id}")}
    one_tap = client.post(f"/me/{leader}/remove/{spammer.id}", data=form)
    assert one_tap.status_code == 200 and "Remove Spammer from the group?" in one_tap.text
    assert _members() == 2  # one tap only asked
    client.post(f"/me/{leader}/remove/{spammer.id}", data={**form, "confirmed": "yes"})
    assert _members() == 1
    assert "Spammer was removed" in client.get(f"/me/{leader}").get_data(as_text=True)


def test_check_in_and_home_safe(client, make_event):
    event = make_event()
    token = _token(_join(client, f"/e/{event.ref}/join"))
    event.starts_at = utcnow() + timedelta(minutes=30)
    db.session.commit()
    form = {"csrf_token": csrf_token(client, f"/me/{token}")}
    client.post(f"/me/{token}/check-in", data=form)
    assert "I'm home safe" in client.get(f"/me/{token}").get_data(as_text=True)
    client.post(f"/me/{token}/home-safe", data=form)
    membership = db.session.scalar(select(Membership))
    assert membership.checked_in_at and membership.home_safe_at


def test_check_in_without_csrf_is_refused(client, make_event):
    event = make_event()
    token = _token(_join(client, f"/e/{event.ref}/join"))
    assert client.post(f"/me/{token}/check-in").status_code == 400


def test_board_shows_contacts_to_organisers_only_and_records_each_view(
    client, app, signed_in, make_event, make_group, make_organiser
):
    event = make_event()
    group = make_group(event, 2)
    phone = group.members[0].contact
    stranger = app.test_client()
    sign_in(stranger, make_organiser().email)
    assert stranger.get(f"/organise/events/{event.ref}/board").status_code == 404
    assert stranger.get(f"/organise/events/{event.ref}/signups.csv").status_code == 404
    assert app.test_client().get(f"/organise/events/{event.ref}/board").status_code == 302
    assert db.session.scalar(select(func.count(ContactAccess.id))) == 0

    signed_in(event.organiser)
    response = client.get(f"/organise/events/{event.ref}/board")
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert group.members[0].display_name in page
    assert phone[-4:] in page
    access = db.session.scalars(select(ContactAccess)).all()
    assert [(a.organiser_id, a.event_id, a.action) for a in access] == [
        (event.organiser_id, event.id, "board")
    ]


def test_csv_export(client, signed_in, make_event, make_group):
    event = make_event()
    group = make_group(event, 1)
    from campaign.groups import service

    service.join_group(group, volunteer(display_name='=HYPERLINK("http://evil")'))
    db.session.commit()
    signed_in(event.campaign.admins[0])
    response = client.get(f"/organise/events/{event.ref}/signups.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 2
    assert rows[1]["name"].startswith("'=")
    assert rows[0]["contact"].startswith("'+1201555")  # text in a spreadsheet
    assert rows[0]["leader"] == "yes"
    actions = db.session.scalars(select(ContactAccess.action)).all()
    assert actions == ["csv"]


def test_merge_and_consolidate_from_the_board(client, signed_in, make_event, make_group):
    event = make_event(min_group_size=3, max_group_size=4)
    a, b = make_group(event, 2), make_group(event, 1)
    c, d = make_group(event, 2), make_group(event, 2)
    signed_in(event.organiser)
    token = csrf_token(client, f"/organise/events/{event.ref}/board")
    client.post(
        f"/organise/events/{event.ref}/merge",
        data={"csrf_token": token, "source": b.id, "target": a.id},
    )
    db.session.refresh(a)
    assert a.member_count == 3
    client.post(f"/organise/events/{event.ref}/consolidate", data={"csrf_token": token})
    db.session.refresh(c)
    db.session.refresh(d)
    assert {c.member_count, d.member_count} == {4, 0}
    page = client.get(f"/organise/events/{event.ref}/board").get_data(as_text=True)
    assert "0 forming" in page


def test_consolidate_command(runner, make_event, make_group):
    event = make_event(min_group_size=3, max_group_size=4)
    make_group(event, 2)
    make_group(event, 2)
    lonely = make_group(event, 1)
    result = runner.invoke(args=["consolidate", event.ref])
    assert result.exit_code == 0, result.output
    assert "Merged" in result.output
    assert f"Still below the minimum: {lonely.display_code}" in result.output
    assert runner.invoke(args=["consolidate", "nope"]).exit_code != 0


def test_member_state_json_follows_the_group(client, app, make_event):
    event = make_event(min_group_size=3)
    token = _token(_join(client, f"/e/{event.ref}/join"))
    state = client.get(f"/me/{token}/state.json")
    assert state.headers["Cache-Control"] == "no-store"
    assert state.json["state"] == "forming" and state.json["members"] == 1
    assert state.json["sentence"].startswith("1 of 3 — your group needs 2 more people")
    assert "Forming" in state.json["badge_html"]
    assert client.get("/me/nope/state.json").status_code == 404
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert f'data-version="{state.json["version"]}"' in page
    # The version moves with what the page shows: here the meeting point.
    form = {"csrf_token": csrf_token(client, f"/me/{token}"), "meeting_point": "North gate"}
    client.post(f"/me/{token}/meeting", data=form)
    moved = client.get(f"/me/{token}/state.json").json
    assert moved["version"] != state.json["version"] and moved["state"] == "forming"


def test_odd_leader_inputs_get_messages_not_500s(client, make_event):
    event = make_event(timezone="America/New_York")
    token = _token(_join(client, f"/e/{event.ref}/join", mode="new"))
    form = {"csrf_token": csrf_token(client, f"/me/{token}")}
    # No such member: "not in your group", as for a removal already done (a retried press).
    removal = client.post(f"/me/{token}/remove/99999999999999999999999", data=form)
    assert removal.status_code == 302 and removal.headers["Location"] == f"/me/{token}"
    response = client.post(
        f"/me/{token}/meeting",
        data={**form, "meeting_point": "Gate", "meeting_at": "0001-01-01T00:00"},
    )
    assert response.status_code == 302
    client.post(f"/me/{token}/rename", data={**form, "name": "Blue\x07team"})
    assert db.session.scalar(select(Group.name)) == "Blue team"  # control characters go
    refused = client.post(f"/me/{token}/rename", data={**form, "name": "Red\x00team"})
    assert refused.status_code == 400  # a NUL byte cannot be stored: said so, nothing saved
    assert db.session.scalar(select(Group.name)) == "Blue team"


def test_newcomers_do_not_see_who_left_before_them(client, app, make_event):
    event = make_event(country="US")
    _token(_join(client, f"/e/{event.ref}/join", mode="new"))
    code = db.session.scalar(select(Group.join_code))
    early = app.test_client()
    early_token = _token(
        _join(early, f"/j/{code}", display_name="Early Bird", contact="+12015550161")
    )
    early.post(
        f"/me/{early_token}/leave",
        data={"csrf_token": csrf_token(early, f"/me/{early_token}/leave"), "confirmed": "yes"},
    )
    late = app.test_client()
    late_token = _token(_join(late, f"/j/{code}", display_name="Late", contact="+12015550162"))
    page = late.get(f"/me/{late_token}").get_data(as_text=True)
    assert "Early Bird" not in page


def test_a_cancelled_event_shows_no_join_form(client, make_event, make_group):
    from campaign.events.service import cancel_event

    event = make_event()
    group = make_group(event, 1)
    cancel_event(event, event.organiser)
    db.session.commit()
    page = client.get(f"/j/{group.join_code}").get_data(as_text=True)
    assert "This event is cancelled. Do not go." in page
    assert 'name="pledge"' not in page


def test_the_check_in_button_shows_only_while_check_in_is_open(client, make_event):
    event = make_event()  # two weeks ahead
    token = _token(_join(client, f"/e/{event.ref}/join"))
    early = client.get(f"/me/{token}").get_data(as_text=True)
    assert "I'm with my group at the venue" not in early
    assert "Check-in opens" in early
    event.starts_at = utcnow() + timedelta(hours=2)
    event.ends_at = event.starts_at + timedelta(hours=2)
    db.session.commit()
    assert "I'm with my group at the venue" in client.get(f"/me/{token}").get_data(as_text=True)
    event.starts_at = utcnow() - timedelta(days=3)
    event.ends_at = event.starts_at + timedelta(hours=2)
    db.session.commit()
    late = client.get(f"/me/{token}").get_data(as_text=True)
    assert "I'm with my group at the venue" not in late and "Check-in is closed." in late


def test_an_old_link_after_leaving_says_so_and_how_to_join_again(client, app, make_event):
    event = make_event(min_group_size=3)
    leader = _token(_join(client, f"/e/{event.ref}/join", mode="new"))
    code = db.session.scalar(select(Group.join_code))
    friend = app.test_client()
    removed = _token(_join(friend, f"/j/{code}", display_name="Kept out", contact="+12015550142"))
    third = app.test_client()
    leaver = _token(_join(third, f"/j/{code}", display_name="Goes", contact="+12015550143"))
    gone = db.session.scalar(select(Membership).where(Membership.display_name == "Kept out"))
    form = {"csrf_token": csrf_token(client, f"/me/{leader}"), "confirmed": "yes"}
    client.post(f"/me/{leader}/remove/{gone.id}", data=form)
    third.post(
        f"/me/{leaver}/leave",
        data={"csrf_token": csrf_token(third, f"/me/{leaver}/leave"), "confirmed": "yes"},
    )

    left = third.get(f"/me/{leaver}")
    assert left.status_code == 404 and "You left this group" in left.text
    assert f'href="/e/{event.ref}/join"' in left.text
    out = friend.get(f"/me/{removed}")
    assert out.status_code == 404 and "leader removed you" in out.text
    for page in (left.text, out.text):  # nothing of the group
        assert code not in page and "Kept out" not in page and "Goes" not in page
    assert "does not lead to a group" in client.get("/me/never-a-link").text  # generic


def test_the_join_form_shows_every_problem_at_once_in_a_summary(client, make_event):
    event = make_event(country="US")
    form = {
        "csrf_token": csrf_token(client, f"/e/{event.ref}/join"),
        "mode": "any",
        "display_name": "",
        "contact": "12",  # not a phone number
    }  # and no pledge
    response = client.post(f"/e/{event.ref}/join", data=form)
    page = response.get_data(as_text=True)
    summary = page[page.index('class="form-errors error-summary"') :]
    summary = summary[: summary.index("</div>")]
    assert 'href="#display_name"' in summary
    assert 'href="#contact"' in summary and "does not look like a phone number" in summary
    assert 'href="#pledge"' in summary
    assert 'id="contact-error"' in page and 'id="pledge-error"' in page
    assert db.session.scalar(select(func.count(Membership.id))) == 0
