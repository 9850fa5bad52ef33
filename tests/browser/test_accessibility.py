"""axe-core (vendored from npm) in Chromium: no serious or critical WCAG violations on the
main pages, in English and in Persian (right to left)."""

from pathlib import Path

import pytest

from campaign.events.service import update_event
from campaign.extensions import db
from campaign.groups import service as groups
from campaign.models import EventStatus
from tests.databases import SQLITE_ONLY
from tests.factories import PASSWORD, event_details, volunteer
from tests.helpers import DESKTOP

# Pages in a browser, not the database: SQLite only.
pytestmark = SQLITE_ONLY

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def pages(make_event):
    event = make_event(latitude=51.5, longitude=-0.12)
    joined = groups.start_group(event, volunteer())
    # The admins' review queue with both kinds of card: waiting, and changed since published.
    make_event(campaign=event.campaign, status=EventStatus.PENDING, title="Waiting")
    update_event(
        event,
        event.organiser,
        event_details(latitude=51.5, longitude=-0.12, description="Meet at the side door."),
    )
    db.session.commit()
    return {
        "campaign": f"/c/{event.campaign.slug}",
        "event": f"/e/{event.ref}",
        "join": f"/e/{event.ref}/join",
        "member": f"/me/{joined.token}",
        "event form": "/organise/events/new",
        "organiser": event.organiser.email,
        "admin": event.campaign.admins[0].email,
    }


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "fa"])
def test_main_pages_have_no_serious_violations(open_page, pages, language):
    # bypass_csp: the page's own policy (rightly) refuses the injected axe script.
    page = open_page(**PHONE, bypass_csp=True)
    page.goto(f"/language/{language}?next=/")
    found = {}
    for name in ("campaign", "event", "join", "member"):
        page.goto(pages[name])
        assert page.evaluate("document.documentElement.lang") == language
        found[name] = serious_violations(page)
    organiser = _signed_in(open_page, language, pages["organiser"])
    organiser.goto(pages["event form"])
    found["event form"] = serious_violations(organiser)
    admin = _signed_in(open_page, language, pages["admin"])
    admin.goto("/organise/review")
    assert admin.locator(".text-change").count() == 1
    found["review queue"] = serious_violations(admin)
    assert found == {name: [] for name in found}


def _signed_in(open_page, language: str, email: str):
    page = open_page(**DESKTOP, bypass_csp=True)
    page.goto(f"/language/{language}?next=/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.stack button[type=submit], form.stack input[type=submit]").first.click()
    page.wait_for_url("**/organise")
    return page
