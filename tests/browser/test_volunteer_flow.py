"""Volunteers on phones: three join one group by its code, and the first one's page turns
from forming to ready as the third arrives, without a reload."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.models import Group, Membership
from tests.databases import SQLITE_ONLY

# Pages in a browser, not the database: SQLite only.
pytestmark = SQLITE_ONLY

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def fast_polling(app):
    app.config["MEMBER_PAGE_POLL_SECONDS"] = 0.5


def _fill_join_form(page: Page, name: str, phone: str) -> None:
    page.get_by_label("Your name", exact=True).fill(name)
    page.get_by_label("Phone number", exact=True).fill(phone)
    page.get_by_label("I accept the pledge").check()
    page.get_by_role("button", name="Join").click()
    expect(page).to_have_url(re.compile(r"/me/[A-Za-z0-9_-]{32,}$"))


def _no_horizontal_scroll(page: Page) -> bool:
    # A phone browser zooms out to fit a too-wide page, widening innerWidth with it: so the
    # viewport must still be the phone's own width too.
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
        f" && window.innerWidth === {PHONE_390['viewport']['width']}"
    )


@pytest.mark.browser
def test_three_volunteers_join_by_code_and_the_group_becomes_ready(
    open_page, make_event, fast_polling
):
    event = make_event(min_group_size=3, max_group_size=6, country="US", title="Stand at City Hall")
    event_ref = event.ref

    first = open_page(**PHONE_390)
    first.goto(f"/e/{event_ref}")
    assert _no_horizontal_scroll(first)
    first.get_by_role("link", name="Join a group").click()
    first.get_by_label("Start a new group").check()
    _fill_join_form(first, "Ali", "(201) 555-0101")
    expect(first.get_by_role("heading", name="Keep this link")).to_be_visible()
    expect(first.locator(".state-sentence")).to_contain_text(
        "1 of 3 — your group needs 2 more people before it is safe to go."
    )
    assert _no_horizontal_scroll(first)
    code = first.locator("strong.code").inner_text()  # shown as ABCD-EFGH
    expect(first.get_by_role("img", name="QR code for the invite link")).to_be_visible()

    for name, phone, typed in [
        ("Bano", "201 555 0102", code.lower()),
        ("Cyrus", "+1 201-555-0103", code.replace("-", " ")),
    ]:
        friend = open_page(**PHONE_390)
        friend.goto("/c/" + event.campaign.slug)
        friend.get_by_label("Have a group code?").fill(typed)
        friend.get_by_role("button", name="Go").click()
        expect(friend).to_have_url(re.compile(r"/j/[A-Z0-9]{8}$"))
        assert _no_horizontal_scroll(friend)
        _fill_join_form(friend, name, phone)

    # The first volunteer's page, still open, catches up by itself.
    expect(first.locator(".state-sentence")).to_contain_text(
        "3 of 3 — your group is ready: safe to go.", timeout=10_000
    )
    expect(first.locator(".state-badge-slot")).to_contain_text("Ready")
    # Everything else caught up in the same step, without a reload: list, counts, signs.
    expect(first.locator(".members")).to_contain_text("Bano")
    expect(first.locator(".members")).to_contain_text("Cyrus")
    expect(first.locator(".signs")).to_contain_text("holds 3 signs")
    first.reload()
    expect(first.get_by_role("heading", name="Keep this link")).to_have_count(0)

    db.session.rollback()
    assert db.session.scalar(select(func.count(Group.id))) == 1
    assert db.session.scalar(select(func.count(Membership.id))) == 3


@pytest.mark.browser
def test_joining_works_with_the_keyboard_alone(open_page, make_event):
    event = make_event(country="US")
    page = open_page(**PHONE_390)
    page.goto(f"/e/{event.ref}/join")
    page.get_by_label("Your name", exact=True).focus()
    page.keyboard.type("Keyboard user")
    page.keyboard.press("Tab")
    page.keyboard.type("+1 201 555 0190")
    page.keyboard.press("Tab")  # "use an email address instead": not now
    page.keyboard.press("Tab")  # share contact: leave it off
    page.keyboard.press("Tab")  # the pledge checkbox
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Join
    expect(page).to_have_url(re.compile(r"/me/"))
    expect(page.locator(".state-sentence")).to_contain_text("1 of 3")


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "fa"])
def test_join_errors_are_summarised_at_the_top_and_take_the_focus(open_page, make_event, language):
    event = make_event(country="US")
    page = open_page(viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)
    page.goto(f"/language/{language}?next=/e/{event.ref}/join")
    assert page.locator("html").get_attribute("lang") == language
    page.locator("#contact").fill("12")
    page.locator("form.join-form button[type=submit], form.join-form input[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("li")).to_have_count(3)  # name, contact and pledge at once
    summary.locator("a[href='#contact']").click()
    expect(page.locator("#contact")).to_be_focused()
    assert _no_horizontal_scroll_at(page, 320)


def _no_horizontal_scroll_at(page: Page, width: int) -> bool:
    return page.evaluate(
        f"document.documentElement.scrollWidth <= {width} && window.innerWidth === {width}"
    )
