"""Share pictures: 1200 by 630 PNGs set like the signs, one per public event and campaign,
made once per content and language, answered with a 304 when unchanged, and never for an
event that is not public."""

import io
import subprocess
from pathlib import Path

import pytest
from flask_babel import force_locale
from fpdf import FPDF
from PIL import Image

from campaign.events.service import cancel_event, update_event
from campaign.exports import share_image, share_views
from campaign.extensions import db
from campaign.groups import service as groups
from campaign.models import EventStatus
from tests.factories import event_details
from tests.helpers import tool

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
PERSIAN_TITLE = "من هزاره هستم"


def decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def ink(image: Image.Image) -> int:
    """Dark pixels: the text drawn on the white picture."""
    return sum(image.convert("L").point(lambda v: 255 if v < 128 else 0).histogram()[255:])


def assert_share_picture(png: bytes) -> Image.Image:
    image = decoded(png)
    assert image.format == "PNG"
    assert image.size == (1200, 630)
    dark = ink(image)
    # Text, not a blank or black page: a one-line title alone inks well over 1 %.
    assert 0.01 * 1200 * 630 < dark < 0.5 * 1200 * 630, dark
    return image


def components(png: bytes) -> int:
    """Separate blots of ink (4-connected, at half size): joined letters make fewer."""
    image = decoded(png).convert("L").resize((600, 315))
    width, height = image.size
    dark = [value < 128 for value in image.tobytes()]
    seen = bytearray(width * height)
    count = 0
    for start, is_dark in enumerate(dark):
        if not is_dark or seen[start]:
            continue
        count += 1
        seen[start] = 1
        stack = [start]
        while stack:
            here = stack.pop()
            x = here % width
            for there in (
                here - 1 if x else -1,
                here + 1 if x < width - 1 else -1,
                here - width,
                here + width,
            ):
                if 0 <= there < len(dark) and dark[there] and not seen[there]:
                    seen[there] = 1
                    stack.append(there)
    return count


@pytest.fixture
def pictures_made(monkeypatch):
    made = []
    real = share_views.share_png

    def counted(page, font_dir):
        made.append(page.text)
        return real(page, font_dir)

    monkeypatch.setattr(share_views, "share_png", counted)
    return made


# --- the picture itself ------------------------------------------------------------------


def test_event_picture_is_a_1200_by_630_png_with_text(client, make_event):
    event = make_event(title="Vigil at the town hall")
    response = client.get(f"/e/{event.ref}/share.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert_share_picture(response.data)


def test_campaign_and_site_pictures(client, make_campaign):
    campaign = make_campaign(name="I AM HAZARA", description="Stand with the Hazara.\nMore.")
    for url in (f"/c/{campaign.slug}/share.png", "/share.png", "/share.png?lang=fa"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/png", url
        assert_share_picture(response.data)


def test_persian_and_urdu_titles_are_shaped_and_set_in_their_own_script(client, make_event):
    event = make_event(title=PERSIAN_TITLE)
    url = f"/e/{event.ref}/share.png"
    persian, urdu, english = (client.get(f"{url}?lang={code}").data for code in ("fa", "ur", "en"))
    for png in (persian, urdu, english):
        assert_share_picture(png)
    # Urdu is set in Nastaliq, Persian in Naskh: the same title looks different.
    assert persian != urdu
    assert decoded(persian).tobytes() != decoded(urdu).tobytes()


def unshaped_png(text: str) -> bytes:
    """``text`` drawn glyph by glyph without HarfBuzz (isolated letter forms, no joining),
    in the Naskh font, on a page of the share picture's size."""
    pdf = FPDF(unit="mm")
    pdf.add_font("Naskh", "", FONTS / "NotoNaskhArabic-Bold.ttf")
    pdf.add_page(format=share_image.PAGE_MM)
    pdf.set_font("Naskh", "", 48)
    pdf.set_xy(0, 20)
    pdf.cell(share_image.PAGE_MM[0], 20, text, align="C")
    return share_image.pdf_to_png(bytes(pdf.output()))


def test_arabic_script_letters_join_when_shaped(app):
    """Drawn without shaping, the title's letters stand apart; in the share picture they
    join, so there are fewer separate blots of ink."""
    shaped = share_image.share_png(share_image.share_page(PERSIAN_TITLE, "", "", "fa"), FONTS)
    flat = unshaped_png(PERSIAN_TITLE)
    assert_share_picture(flat)
    assert components(shaped) < components(flat)


def test_text_language_follows_the_script():
    assert share_image.text_language(PERSIAN_TITLE, "ur") == "ur"  # Nastaliq
    assert share_image.text_language(PERSIAN_TITLE, "en") == "fa"  # Naskh
    # Latin letters anywhere: the Latin font, with the Arabic-script fonts as fallback.
    assert share_image.text_language("شنبه · Parliament Square", "fa") == "en"
    assert share_image.text_language("Vigil", "fa") == "en"


def test_long_free_text_is_cut_at_a_word(app):
    text = "word " * 100
    short = share_image.shorten(text)
    assert len(short) <= share_image.MAX_LINE and short.endswith("word…")


# --- what it shows -----------------------------------------------------------------------


def pdf_text(pdf: bytes, tmp_path) -> str:
    source = tmp_path / "share.pdf"
    source.write_bytes(pdf)
    result = subprocess.run(
        [tool("pdftotext", "poppler-utils"), source, "-"],
        capture_output=True,
        check=True,
    )
    return " ".join(result.stdout.decode().split())


def test_picture_shows_title_time_place_and_campaign(app, make_campaign, make_event, tmp_path):
    campaign = make_campaign(name="I AM HAZARA")
    event = make_event(campaign=campaign, title="Vigil at the town hall", venue_name="Town Hall")
    with app.test_request_context():
        page = share_views.event_picture(event, "en")
    text = pdf_text(share_image.share_pdf(page, FONTS), tmp_path)
    local = event.starts_at.astimezone(event.zone)
    for shown in ("Vigil at the town hall", f"{local:%H:%M}", "Town Hall, London", "I AM HAZARA"):
        assert shown in text


def test_cancelled_event_picture_says_so_in_the_readers_language(app, client, make_event, tmp_path):
    event = make_event(title="Vigil at the town hall")
    url = f"/e/{event.ref}/share.png"
    live = client.get(url)
    cancel_event(event, event.organiser)
    db.session.commit()
    cancelled = client.get(url)
    assert cancelled.status_code == 200
    assert_share_picture(cancelled.data)
    assert cancelled.data != live.data and cancelled.headers["ETag"] != live.headers["ETag"]
    with app.test_request_context():
        page = share_views.event_picture(event, "en")
        with force_locale("fa"):
            persian = share_views.event_picture(event, "fa")
    assert page.text == "CANCELLED: Vigil at the town hall"
    assert "CANCELLED: Vigil at the town hall" in pdf_text(
        share_image.share_pdf(page, FONTS), tmp_path
    )
    assert persian.text.startswith("لغو شد") and "Vigil at the town hall" in persian.text


def test_picture_shows_nothing_of_groups_or_members(app, make_event, make_group):
    event = make_event()
    group = make_group(event, size=3)
    leader = next(member for member in group.members if member.is_leader)
    groups.set_meeting(leader, "Behind the kiosk Q7", None)
    groups.rename_group(leader, "Zephyrine's table")
    db.session.commit()
    with app.test_request_context():
        page = share_views.event_picture(event, "en")
    shown = repr(page)
    for private in (
        "Behind the kiosk Q7",
        "Zephyrine",
        group.join_code,
        event.organiser.display_name,
    ):
        assert private not in shown
    for member in group.members:
        assert member.display_name not in shown


# --- caching and access ------------------------------------------------------------------


def test_made_once_per_content_and_language_with_a_304_when_unchanged(
    client, make_event, pictures_made
):
    event = make_event(title="Vigil at the town hall")
    url = f"/e/{event.ref}/share.png?lang=en"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"]
    assert "no-cache" in first.headers["Cache-Control"]
    assert client.get(url).data == first.data
    assert len(pictures_made) == 1

    unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""
    assert unchanged.headers["ETag"] == etag
    assert len(pictures_made) == 1

    persian = client.get(f"/e/{event.ref}/share.png?lang=fa")
    assert persian.headers["ETag"] != etag and persian.data != first.data
    assert len(pictures_made) == 2

    update_event(event, event.organiser, event_details(title="Vigil at the parliament"))
    db.session.commit()
    edited = client.get(url, headers={"If-None-Match": etag})
    assert edited.status_code == 200 and edited.headers["ETag"] != etag
    assert pictures_made[-1] == "Vigil at the parliament"


def test_language_from_the_visitor_varies_the_answer(client, make_event):
    event = make_event()
    asked = client.get(f"/e/{event.ref}/share.png", headers={"Accept-Language": "fa"})
    named = client.get(f"/e/{event.ref}/share.png?lang=fa")
    assert asked.data == named.data
    assert "Accept-Language" in asked.headers["Vary"]
    assert "Accept-Language" not in named.headers.get("Vary", "")
    # An unknown language is the visitor's, never an error.
    assert client.get(f"/e/{event.ref}/share.png?lang=xx").status_code == 200


@pytest.mark.parametrize("status", [EventStatus.DRAFT, EventStatus.PENDING])
def test_no_picture_of_an_event_that_is_not_public(client, make_event, status):
    event = make_event(status=status)
    assert client.get(f"/e/{event.ref}/share.png").status_code == 404


def test_unknown_event_or_campaign_is_404(client):
    assert client.get("/e/nosuchref/share.png").status_code == 404
    assert client.get("/c/no-such-campaign/share.png").status_code == 404


def test_new_pictures_are_limited_per_client(app, client, make_campaign, make_event):
    app.config["RATELIMIT_SHARE_IMAGE_BUILD"] = "2 per minute"
    campaign = make_campaign()
    events = [make_event(campaign=campaign) for _ in range(3)]
    statuses = [client.get(f"/e/{e.ref}/share.png").status_code for e in events]
    assert statuses == [200, 200, 429]
    refused = client.get(f"/e/{events[2].ref}/share.png")
    assert refused.headers["Retry-After"] == "60"
    assert client.get(f"/e/{events[0].ref}/share.png").status_code == 200  # made: served
