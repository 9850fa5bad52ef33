"""Signs on phones: the member page shows its previews without breaking the layout, and the
full-screen sign fills a phone in portrait and landscape with nothing else on screen."""

import pytest
from playwright.sync_api import expect

from campaign.extensions import db
from campaign.groups import service as groups
from campaign.slogans import service
from tests.databases import SQLITE_ONLY
from tests.factories import volunteer

# Pages in a browser, not the database: SQLite only.
pytestmark = SQLITE_ONLY

PORTRAIT = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
LANDSCAPE = {"viewport": {"width": 740, "height": 360}, "is_mobile": True, "has_touch": True}
WIDTH_320 = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def member_token(make_campaign, make_event, with_bank):
    campaign = with_bank(make_campaign())
    event = make_event(campaign=campaign)
    leader = groups.start_group(event, volunteer(display_name="Leader"))
    group = leader.membership.group
    tokens = [leader.token]
    for name in ("Bano", "Cyrus"):
        tokens.append(groups.join_group(group, volunteer(display_name=name)).token)
    db.session.commit()
    return tokens, group


def _sign_fits(page) -> dict:
    return page.evaluate(
        """() => {
          const frame = document.getElementById('sign');
          const lines = [...frame.querySelectorAll('.sign-line')];
          return {
            size: parseFloat(getComputedStyle(lines[0]).fontSize),
            fitsHeight: frame.scrollHeight <= frame.clientHeight + 1,
            fitsWidth: lines.every(l => l.scrollWidth <= l.clientWidth + 1),
            pageScroll: document.documentElement.scrollWidth > window.innerWidth
                        || document.documentElement.scrollHeight > window.innerHeight,
            innerWidth: window.innerWidth,
            visibleOthers: [...document.body.querySelectorAll('a, button, header, nav')]
              .filter(e => e.getBoundingClientRect().right > 0
                           && getComputedStyle(e).visibility !== 'hidden').length,
            wakeLock: frame.getAttribute('data-wake-lock'),
          };
        }"""
    )


@pytest.mark.browser
@pytest.mark.parametrize("context", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_the_sign_fills_the_screen(open_page, member_token, context):
    tokens, group = member_token
    sign = service.group_signs(group)[1]
    page = open_page(**context)
    page.goto(f"/me/{tokens[1]}/sign")
    expect(page.locator(".sign-line").first).to_have_text(sign.text)
    page.wait_for_function("document.getElementById('sign').dataset.fontSize")
    state = _sign_fits(page)
    assert state["fitsHeight"] and state["fitsWidth"], state
    assert not state["pageScroll"], state
    assert state["innerWidth"] == context["viewport"]["width"]
    assert state["visibleOthers"] == 0, state  # the back link hides until focused
    # Large: from across a street, a 360-pixel-wide phone shows a 40+ pixel line.
    assert state["size"] >= 40, state
    assert state["wakeLock"] in {"on", "refused", "unsupported"}


@pytest.mark.browser
def test_a_keyboard_user_finds_the_way_back(open_page, member_token):
    tokens, _ = member_token
    page = open_page(**PORTRAIT)
    page.goto(f"/me/{tokens[0]}/sign")
    page.keyboard.press("Tab")
    back = page.get_by_role("link", name="Back to your group")
    expect(back).to_be_focused()
    assert back.bounding_box()["x"] >= 0
    back.press("Enter")
    expect(page).to_have_url(f"{page.url.split('/me/')[0]}/me/{tokens[0]}")


@pytest.mark.browser
def test_member_page_previews_fit_a_320_pixel_phone(open_page, member_token):
    tokens, group = member_token
    page = open_page(**WIDTH_320)
    page.goto(f"/me/{tokens[0]}")
    previews = page.locator("svg.sign-preview")
    expect(previews).to_have_count(4)
    assert page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === 320"
    )
    box = previews.first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    page.get_by_role("link", name="Show my sign full screen").click()
    expect(page.locator(".sign-line").first).to_have_text(service.group_signs(group)[0].text)
