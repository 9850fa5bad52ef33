"""No signal at the venue: once opened, a member's page, their sign and the meeting point
still show offline, marked as a saved copy; a check-in pressed offline arrives when the
network returns; after leaving, the saved copy is gone."""

from datetime import timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from campaign.extensions import db
from campaign.groups import service as groups
from campaign.models import Membership
from campaign.models.types import utcnow
from campaign.slogans import service as slogans
from tests.databases import SQLITE_ONLY
from tests.factories import volunteer

# Pages in a browser, not the database: SQLite only.
pytestmark = SQLITE_ONLY

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MEETING_POINT = "By the north gate, under the clock"


@pytest.fixture
def member(make_campaign, make_event, with_bank):
    """A member of a group of three, an hour before the event (check-in is open)."""
    start = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0, tzinfo=None)
    event = make_event(
        campaign=with_bank(make_campaign()), local_start=start, local_end=start + timedelta(hours=2)
    )
    leader = groups.start_group(event, volunteer(display_name="Leader"))
    group = leader.membership.group
    others = [groups.join_group(group, volunteer(display_name=n)) for n in ("Bano", "Cyrus")]
    groups.set_meeting(leader.membership, MEETING_POINT, None)
    db.session.commit()
    return others[0], group


def _kept(page) -> list[str]:
    """The paths of everything in the service worker's Cache Storage."""
    return page.evaluate(
        """async () => {
          let paths = [];
          for (const name of await caches.keys()) {
            const requests = await (await caches.open(name)).keys();
            paths = paths.concat(requests.map(r => new URL(r.url).pathname));
          }
          return paths;
        }"""
    )


def _controlled(page) -> None:
    """Waits until the service worker controls the page and has saved what it needs."""
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")
    page.wait_for_function(
        """async () => {
          const names = await caches.keys();
          let urls = [];
          for (const name of names) {
            const cache = await caches.open(name);
            urls = urls.concat((await cache.keys()).map(r => new URL(r.url).pathname));
          }
          return urls.includes(location.pathname) && urls.some(u => u.endsWith('/sign'))
            && urls.some(u => u.startsWith('/static/fonts/'));
        }"""
    )


@pytest.mark.browser
def test_the_member_page_and_sign_work_offline(open_page, member):
    joined, _ = member
    sign = slogans.member_sign(joined.membership)
    page = open_page(**PHONE_390)
    page.goto(f"/me/{joined.token}")
    expect(page.locator("#offline-note")).to_be_hidden()
    _controlled(page)
    # Other pages go to the network only: nothing of them is kept on the device.
    for path in (f"/me/{joined.token}/leave", "/auth/login", f"/me/{joined.token}"):
        page.goto(path)
    own = {f"/me/{joined.token}", f"/me/{joined.token}/sign"}
    kept = _kept(page)
    assert own <= set(kept), kept
    assert all(path in own or path.startswith("/static/") for path in kept), kept

    page.context.set_offline(True)
    page.reload()
    note = page.locator("#offline-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Saved copy from")
    expect(note).to_contain_text("you are offline")
    expect(page.locator("#live-meeting")).to_contain_text(MEETING_POINT)
    expect(page.locator("#live-members")).to_contain_text("Cyrus")
    expect(page.locator("svg.sign-preview").first).to_be_visible()

    # The sign in full screen, never opened before: kept ready by the member page, font too.
    page.get_by_role("link", name="Show my sign full screen").click()
    expect(page.locator(".sign-line").first).to_have_text(sign.text)
    expect(page.locator("#offline-note")).to_contain_text("Saved copy from")
    page.wait_for_function("() => document.getElementById('sign').dataset.fontSize")
    assert page.evaluate("document.fonts.check('700 40px \"Noto Sans Sign\"')")
    assert page.evaluate(
        "[...document.fonts].some(f => f.family.includes('Noto Sans Sign')"
        " && f.status === 'loaded')"
    )


@pytest.mark.browser
def test_a_check_in_pressed_offline_arrives_when_back_online(open_page, member):
    joined, _ = member
    page = open_page(**PHONE_390)
    page.goto(f"/me/{joined.token}")
    _controlled(page)

    page.context.set_offline(True)
    page.reload()
    page.get_by_role("button", name="I'm with my group at the venue").click()
    expect(
        page.get_by_role("status").filter(has_text="Will be sent when you are back online")
    ).to_be_visible()
    db.session.rollback()
    assert db.session.get(Membership, joined.membership.id).checked_in_at is None

    page.context.set_offline(False)
    page.wait_for_function("() => !localStorage.getItem('offline-presses')")
    expect(
        page.get_by_text("You checked in. Stay with your group, and leave together.")
    ).to_be_visible()
    db.session.rollback()
    assert db.session.get(Membership, joined.membership.id).checked_in_at is not None


@pytest.mark.browser
def test_after_leaving_the_saved_copy_is_gone(open_page, member):
    joined, _ = member
    membership_id = joined.membership.id
    page = open_page(**PHONE_390)
    page.goto(f"/me/{joined.token}")
    _controlled(page)

    page.get_by_role("link", name="Leave the group").click()
    page.get_by_role("button", name="Leave the group").click()
    expect(page.get_by_text("You left the group.")).to_be_visible()
    db.session.rollback()
    assert db.session.get(Membership, membership_id) is None

    page.context.set_offline(True)
    with pytest.raises(PlaywrightError):
        page.goto(f"/me/{joined.token}")
    with pytest.raises(PlaywrightError):
        page.goto(f"/me/{joined.token}/sign")


@pytest.mark.browser
def test_a_check_in_pressed_online_is_sent_at_once(open_page, member):
    joined, _ = member
    page = open_page(**PHONE_390)
    page.goto(f"/me/{joined.token}")
    _controlled(page)
    page.get_by_role("button", name="I'm with my group at the venue").click()
    expect(page.get_by_text("Checked in: you are with your group. Stay together.")).to_be_visible()
    db.session.rollback()
    assert db.session.get(Membership, joined.membership.id).checked_in_at is not None
    assert page.evaluate("() => localStorage.getItem('offline-presses')") is None


@pytest.mark.browser
def test_a_public_event_page_works_offline(open_page, member):
    _, group = member
    title = group.event.title
    page = open_page(**PHONE_390)
    page.goto(f"/e/{group.event.ref}")
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")
    page.wait_for_function(
        "async () => (await caches.keys()).length && !!(await caches.match(location.href))"
    )
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.locator("#offline-note")).to_contain_text("Saved copy from")
