"""QR codes decoded by a real decoder (zbar), and the printable poster read back."""

import io

import pytest
from pypdf import PdfReader

from campaign.exports.qr import qr_png, qr_svg
from campaign.extensions import db
from campaign.groups import service
from campaign.models import EventStatus
from tests.exports.pictures import decode_qr_png, pdf_page_to_png, svg_to_png
from tests.factories import volunteer

YEAR = 365 * 24 * 3600


@pytest.mark.parametrize(
    "data", ["https://example.org/j/ABCD2345", "https://x.org/c/a?city=K%C3%B6ln&v=1"]
)
def test_exporter_codes_decode_to_their_data(data):
    assert decode_qr_png(qr_png(data)) == [data]
    assert decode_qr_png(svg_to_png(qr_svg(data))) == [data]


def _decoded(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    if response.mimetype == "image/svg+xml":
        return decode_qr_png(svg_to_png(response.data))
    assert response.mimetype == "image/png"
    return decode_qr_png(response.data)


@pytest.mark.parametrize("image_format", ["svg", "png"])
def test_event_campaign_and_group_codes_hold_absolute_urls(client, make_event, image_format):
    event = make_event()
    group = service.start_group(event, volunteer()).membership.group
    db.session.commit()
    expected = {
        f"/e/{event.ref}/qr.{image_format}": f"http://localhost/e/{event.ref}",
        f"/c/{event.campaign.slug}/qr.{image_format}": (
            f"http://localhost/c/{event.campaign.slug}/subscribe"
        ),
        f"/j/{group.join_code}/qr.{image_format}": f"http://localhost/j/{group.join_code}",
    }
    for url, target in expected.items():
        response = client.get(url)
        assert _decoded(response) == [target], url
        assert response.cache_control.max_age == YEAR
        assert response.cache_control.immutable
    # The URL comes from the Host header here: no shared cache may keep it.
    assert client.get(f"/e/{event.ref}/qr.{image_format}").cache_control.private
    assert client.get(f"/j/{group.join_code}/qr.{image_format}").cache_control.private


def test_codes_use_the_configured_public_address(app, client, make_event):
    event = make_event()
    app.config.update(SERVER_NAME="hazara.example", PREFERRED_URL_SCHEME="https")
    response = client.get(f"/e/{event.ref}/qr.png", base_url="https://hazara.example")
    assert _decoded(response) == [f"https://hazara.example/e/{event.ref}"]
    assert response.cache_control.public  # a fixed address: shared caches may keep it
    forged = client.get(f"/e/{event.ref}/qr.png", base_url="https://evil.example")
    assert _decoded(forged) == [f"https://hazara.example/e/{event.ref}"]


def test_codes_follow_the_request_host_otherwise(client, make_event):
    event = make_event()
    response = client.get(f"/e/{event.ref}/qr.png", base_url="https://stand.example:8443")
    assert _decoded(response) == [f"https://stand.example:8443/e/{event.ref}"]


def test_a_merged_groups_code_keeps_its_picture(client, make_event, make_group):
    event = make_event(min_group_size=3, max_group_size=8)
    source, target = make_group(event, 1), make_group(event, 1)
    old_code = source.join_code
    service.merge_groups(source, target, event.organiser)
    db.session.commit()
    # The old code's picture still says the old code; the link then redirects.
    assert _decoded(client.get(f"/j/{old_code}/qr.png")) == [f"http://localhost/j/{old_code}"]
    assert client.get(f"/j/{old_code}").headers["Location"] == f"/j/{target.join_code}"


def test_no_codes_for_hidden_events_unknown_codes_or_other_formats(client, make_event):
    draft = make_event(status=EventStatus.DRAFT)
    published = make_event()
    assert client.get(f"/e/{draft.ref}/qr.svg").status_code == 404
    assert client.get("/j/ZZZZZZZZ/qr.png").status_code == 404
    assert client.get("/c/no-such-campaign/qr.png").status_code == 404
    assert client.get(f"/e/{published.ref}/qr.gif").status_code == 404


def test_event_and_member_pages_show_their_codes(client, make_event):
    event = make_event()
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert f'src="/e/{event.ref}/qr.svg"' in page
    assert f'href="/e/{event.ref}/poster.pdf"' in page
    joined = service.start_group(event, volunteer())
    db.session.commit()
    page = client.get(f"/me/{joined.token}").get_data(as_text=True)
    code = joined.membership.group.join_code
    assert f'src="/j/{code}/qr.svg"' in page
    assert f'href="/j/{code}/qr.png"' in page


# --- the poster ----------------------------------------------------------------------------


def _poster(client, event):
    response = client.get(f"/e/{event.ref}/poster.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    return response.data


def test_the_poster_has_the_text_and_a_code_to_the_join_page(client, make_event, tmp_path):
    event = make_event(
        title="I AM HAZARA at the town hall",
        timezone="Europe/London",
        min_group_size=4,
        max_group_size=8,
    )
    pdf = _poster(client, event)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = " ".join(page.extract_text().split())
    assert "I AM HAZARA at the town hall" in text
    assert "Town Hall, 1 Main Street, London, United Kingdom" in text
    local = event.starts_at.astimezone(event.zone)
    assert f"{local:%H:%M}" in text
    assert "Europe/London" in text
    assert "Never go alone — join a group of at least 4" in text
    assert f"http://localhost/e/{event.ref}/join" in text
    assert "http://localhost/j" in text
    assert decode_qr_png(pdf_page_to_png(pdf, tmp_path)) == [f"http://localhost/e/{event.ref}/join"]


def test_a_persian_poster_embeds_an_arabic_script_font(client, make_event, tmp_path):
    event = make_event(
        title="من هزاره هستم " * 8,  # long: fitted to the page, not cut off
        venue_name="میدان پارلمان",
        city="کابل",
        country="AF",
        timezone="Asia/Kabul",
    )
    pdf = _poster(client, event)
    reader = PdfReader(io.BytesIO(pdf))
    fonts = {
        str(font.get_object()["/BaseFont"])
        for font in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert any("NotoNaskhArabic" in name for name in fonts), fonts
    assert len(reader.pages) == 1
    assert decode_qr_png(pdf_page_to_png(pdf, tmp_path)) == [f"http://localhost/e/{event.ref}/join"]


def test_no_poster_for_an_unpublished_event(client, make_event):
    assert client.get(
        f"/e/{make_event(status=EventStatus.PENDING).ref}/poster.pdf"
    ).status_code == (404)


def test_a_cancelled_events_poster_says_do_not_go(client, make_event):
    event = make_event(status=EventStatus.CANCELLED)
    text = PdfReader(io.BytesIO(_poster(client, event))).pages[0].extract_text()
    assert "CANCELLED — do not go" in " ".join(text.split())
