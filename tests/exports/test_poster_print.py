"""Print-size QR codes and the poster's texts: place and time as people read them."""

import io
import struct
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from campaign.exports.poster import distinct_places
from campaign.exports.qr import PRINT_PIXELS, qr_png
from campaign.extensions import db
from campaign.groups import service
from campaign.localtime import format_event_span
from tests.exports.pictures import decode_qr_png
from tests.factories import volunteer


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_a_print_code_is_at_least_1200_pixels_and_decodes():
    url = "https://example.org/e/ABCDEFGH/join"
    screen, printed = qr_png(url), qr_png(url, min_pixels=PRINT_PIXELS)
    assert png_size(screen)[0] < 1200  # the screen one stays small
    width, height = png_size(printed)
    assert width == height >= 1200
    assert decode_qr_png(printed) == [url]


def test_every_code_route_offers_print_size_and_keeps_its_urls(client, make_event):
    event = make_event()
    group = service.start_group(event, volunteer()).membership.group
    db.session.commit()
    for base in (f"/e/{event.ref}", f"/j/{group.join_code}", f"/c/{event.campaign.slug}"):
        screen = client.get(f"{base}/qr.png")
        printed = client.get(f"{base}/qr.png?size=print")
        assert screen.status_code == printed.status_code == 200
        assert png_size(screen.data)[0] < 1200 <= png_size(printed.data)[0]
        assert decode_qr_png(printed.data) == decode_qr_png(screen.data)
        assert client.get(f"{base}/qr.png?size=screen").data == screen.data
        refused = client.get(f"{base}/qr.png?size=huge")
        assert refused.status_code == 400
        assert "screen or print" in refused.get_data(as_text=True)


def test_pages_offering_the_png_link_the_print_one(client, make_event):
    event = make_event()
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert f'href="/e/{event.ref}/qr.png?size=print"' in page
    joined = service.start_group(event, volunteer())
    db.session.commit()
    code = joined.membership.group.join_code
    page = client.get(f"/me/{joined.token}").get_data(as_text=True)
    assert f'href="/j/{code}/qr.png?size=print"' in page


@pytest.mark.parametrize(
    ("parts", "place"),
    [
        (["Parliament Square", "Parliament Square", "London", ""], "Parliament Square, London"),
        (
            ["Parliament Square", "parliament square, Westminster", "London", "United Kingdom"],
            "Parliament Square, Westminster, London, United Kingdom",
        ),
        (["میدان", "میدان، خیابان ۱", "کابل", ""], "میدان, خیابان ۱, کابل"),
        (["Town Hall", "1 Main Street", "London", "United Kingdom"], None),
    ],
)
def test_a_place_says_each_part_once(parts, place):
    assert distinct_places(parts) == (place or ", ".join(parts))


def test_the_poster_names_the_venue_once(client, make_event):
    from pypdf import PdfReader

    event = make_event(venue_name="Parliament Square", address="Parliament Square", city="London")
    response = client.get(f"/e/{event.ref}/poster.pdf")
    text = " ".join(PdfReader(io.BytesIO(response.data)).pages[0].extract_text().split())
    assert text.count("Parliament Square") == 1
    assert "Parliament Square, London, United Kingdom" in text


SYDNEY = ZoneInfo("Australia/Sydney")


def test_an_event_across_a_clock_change_shows_each_ends_zone(app):
    # Daylight saving ends in Sydney at 03:00 AEDT on 5 April 2026 (back to 02:00 AEST).
    start = datetime(2026, 4, 4, 14, 0, tzinfo=UTC)  # 01:00 AEDT
    end = datetime(2026, 4, 4, 18, 0, tzinfo=UTC)  # 04:00 AEST
    with app.test_request_context():
        span = format_event_span(start, end, SYDNEY)
        assert "01:00 AEDT \N{EN DASH} 04:00 AEST (Australia/Sydney)" in span
        assert span.startswith("Sunday 5 April 2026, ")
        same = format_event_span(start, start.replace(hour=15), SYDNEY)
        assert same.endswith("01:00\N{EN DASH}02:00 (Australia/Sydney, AEDT)")


def _fonts_of(pdf: bytes) -> set[str]:
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return {str(f.get_object()["/BaseFont"]) for f in page["/Resources"]["/Font"].values()}


def test_an_urdu_poster_is_set_in_nastaliq_as_the_signs_are(client, make_event, tmp_path):
    from tests.exports.pictures import pdf_page_to_png

    event = make_event(
        title="میں ہزارہ ہوں " * 5,  # long: three lines of Nastaliq
        venue_name="پریس کلب",
        city="کوئٹہ",
        country="PK",
        timezone="Asia/Karachi",
    )
    urdu = client.get(f"/e/{event.ref}/poster.pdf", headers={"Accept-Language": "ur"})
    assert urdu.status_code == 200
    fonts = _fonts_of(urdu.data)
    assert any("NotoNastaliqUrdu" in name for name in fonts), fonts
    assert not any("NotoNaskhArabic" in name for name in fonts), fonts
    png = pdf_page_to_png(urdu.data, tmp_path)
    assert decode_qr_png(png) == [f"http://localhost/e/{event.ref}/join"]
    persian = client.get(f"/e/{event.ref}/poster.pdf", headers={"Accept-Language": "fa"})
    assert any("NotoNaskhArabic" in name for name in _fonts_of(persian.data))
