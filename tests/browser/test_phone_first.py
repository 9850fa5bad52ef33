"""Phone first, at 320x640 and 390x844, in English, Persian and Urdu: the campaign page shows
an event in the first screen (the description and the full search fold away); the member
page shows the group's state, the next step and the meeting point in the first screen; the
header leads with the campaign's name, colour and logo; axe-core finds no serious or
critical violation on these pages."""

from io import BytesIO

import pytest
from PIL import Image
from playwright.sync_api import expect

from campaign.campaigns import branding
from campaign.extensions import db
from campaign.groups import service as groups
from tests.browser.test_accessibility import serious_violations
from tests.databases import SQLITE_ONLY
from tests.factories import volunteer

# Pages in a browser, not the database: SQLite only.
pytestmark = SQLITE_ONLY

SCREENS = {
    "320": {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True},
    "390": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
LANGUAGES = ["en", "fa", "ur"]
#: A description as long as the demo's: before, it pushed the first event 1.5 screens down.
DESCRIPTION = "\n\n".join(
    ["Many small, peaceful groups stand up at the same time all over the world."] * 12
)
MEETING_POINT = "West gate, beside the statue"
COLOUR = "#0b5cad"


def _logo() -> bytes:
    out = BytesIO()
    Image.new("RGB", (64, 64), (250, 250, 250)).save(out, format="PNG")
    return branding.logo_png(out.getvalue(), "logo.png")


@pytest.fixture
def pages(factory):
    campaign = factory.campaign(
        name="I AM HAZARA", description=DESCRIPTION, languages=["en", "fa", "ur"]
    )
    factory.slogan_bank(campaign)
    campaign.colour = COLOUR
    campaign.logo = _logo()
    campaign.logo_version = branding.logo_version(campaign.logo)
    event = factory.event(campaign=campaign, latitude=51.5, longitude=-0.12)
    factory.event(campaign=campaign, title="Quetta press club", city="Quetta", country="PK")
    joined = groups.start_group(event, volunteer(display_name="Maryam"))
    db.session.commit()
    groups.set_meeting(joined.membership, MEETING_POINT, None)
    db.session.commit()
    return {"campaign": f"/c/{campaign.slug}", "member": f"/me/{joined.token}"}


def _in_first_screen(page, selector: str) -> bool:
    """The element is shown and wholly within the first screen (no scrolling)."""
    return page.evaluate(
        """selector => {
            const element = document.querySelector(selector);
            if (!element || !element.offsetParent) return false;
            const box = element.getBoundingClientRect();
            return window.scrollY === 0 && box.height > 0 && box.top >= 0
                && box.bottom <= window.innerHeight;
        }""",
        selector,
    )


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_the_first_screen_shows_an_event_and_the_members_state_step_and_meeting(
    open_page, pages, screen, language
):
    page = open_page(**SCREENS[screen])
    page.goto(f"/language/{language}?next={pages['campaign']}")
    assert page.evaluate("document.documentElement.lang") == language
    # The description and the full search are folded; the first event's title and time
    # are in the first screen.
    expect(page.locator("details.about")).not_to_have_attribute("open", "")
    expect(page.locator("details.search")).not_to_have_attribute("open", "")
    expect(page.locator("#q")).to_be_hidden()
    assert _in_first_screen(page, ".event-list > li:first-child h3"), screen
    assert _in_first_screen(page, ".event-list > li:first-child .when"), screen
    # Folded, not gone: a tap opens the search (no JavaScript needed for <details>).
    page.locator("details.search > summary").click()
    expect(page.locator("#q")).to_be_visible()

    page.goto(pages["member"])
    for shown in (".state-badge-slot", ".state-sentence", ".next-step", "#live-meeting .meeting"):
        assert _in_first_screen(page, shown), f"{shown} at {screen} px in {language}"
    expect(page.locator("#live-meeting .meeting")).to_contain_text(MEETING_POINT)
    # The rest is still there, further down: the invite is open while the group forms.
    expect(page.locator("details#invite img.qr")).to_be_visible()
    expect(page.locator("details#invite")).to_have_attribute("open", "")
    expect(page.locator("details#messages")).not_to_have_attribute("open", "")


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_header_leads_with_the_campaign_and_axe_finds_nothing_serious(
    open_page, pages, language
):
    # bypass_csp: the page's own policy (rightly) refuses the injected axe script.
    page = open_page(**SCREENS["320"], bypass_csp=True)
    page.goto(f"/language/{language}?next=/")
    found = {}
    for name in ("campaign", "member"):
        page.goto(pages[name])
        header = page.locator("header.site-header")
        expect(header.locator(".brand")).to_have_text("I AM HAZARA")
        expect(header).not_to_contain_text("Organiser sign-in")
        expect(page.locator("footer.site-footer a[href='/auth/login']")).to_be_visible()
        background = header.evaluate("element => getComputedStyle(element).backgroundColor")
        assert background == "rgb(11, 92, 173)", background
        assert header.locator(".brand").evaluate("a => getComputedStyle(a).color") == (
            "rgb(255, 255, 255)"
        )
        logo = header.locator("img.brand-logo")
        assert logo.evaluate("img => img.complete && img.naturalWidth") == 64
        found[name] = serious_violations(page)
        # Unfolded, the member page's other sections pass too.
        if name == "member":
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            found["member, unfolded"] = serious_violations(page)
    assert found == {name: [] for name in found}
