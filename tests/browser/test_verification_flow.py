"""A volunteer on a phone (390 by 844) joins a group whose leader set a meeting point, reads
the code from the email that arrived (a real SMTP server), types it, and only then sees
the group and where it meets."""

import re

import pytest
from playwright.sync_api import expect

from campaign.extensions import db
from campaign.groups import service
from tests.databases import SQLITE_ONLY
from tests.factories import volunteer

pytestmark = SQLITE_ONLY

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MEETING = "Behind the red kiosk"


@pytest.fixture
def delivering(app, smtp_server):
    """Messages go to the test SMTP server; ``deliver()`` sends what is due, as the queue's
    consumer would."""
    from campaign.messaging.delivery import deliver_due

    app.config.update(smtp_server.config())

    def deliver():
        with app.app_context():
            deliver_due()

    return deliver


@pytest.mark.browser
def test_a_phone_joins_types_the_emailed_code_and_then_sees_the_group(
    open_page, make_campaign, make_event, smtp_server, delivering
):
    event = make_event(campaign=make_campaign(verify_contacts=True), title="Stand at City Hall")
    leader = service.start_group(event, volunteer(display_name="Leader Ali"))
    service.confirm_contact(leader.membership, leader.token)
    service.set_meeting(leader.membership, MEETING, None)
    db.session.commit()
    code = leader.membership.group.join_code

    page = open_page(**PHONE_390)
    page.goto(f"/j/{code}")
    page.get_by_label("Your name", exact=True).fill("Bano")
    field = page.get_by_label("Phone number", exact=True)
    assert field.get_attribute("type") == "tel"  # the phone keypad first
    page.get_by_role("link", name="Use an email address instead").click()
    email = page.get_by_label("Email address", exact=True)
    assert email.get_attribute("type") == "email" and email.get_attribute("inputmode") == "email"
    assert page.get_by_label("Your name", exact=True).input_value() == "Bano"  # no reload
    email.fill("bano@example.org")
    page.get_by_label("I accept the pledge").check()
    page.get_by_role("button", name="Join").click()
    expect(page).to_have_url(re.compile(r"/me/[A-Za-z0-9_-]{32,}$"))
    expect(page.get_by_role("heading", name="Confirm your contact")).to_be_visible()
    for hidden in (MEETING, "Leader Ali"):
        assert hidden not in page.content()
    field = page.get_by_label("Code", exact=True)
    assert field.get_attribute("autocomplete") == "one-time-code"
    assert field.get_attribute("inputmode") == "numeric"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    delivering()
    mail = smtp_server.wait_for(lambda r: "bano@example.org" in r.rcpt_tos)
    typed = re.search(r"\b(\d{6})\b", mail.message["Subject"]).group(1)
    field.fill(typed)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text("Confirmed: you count toward your group now.")).to_be_visible()
    expect(page.get_by_text(MEETING)).to_be_visible()
    expect(page.locator(".members")).to_contain_text("Leader Ali")
    expect(page.locator(".members")).to_contain_text("Bano")
