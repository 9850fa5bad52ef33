"""A campaign's name, colour and logo lead the header of its public pages. The colour must
carry white text (WCAG AA, 4.5:1); the logo is a PNG or JPEG of at most 200 KB, decoded
and re-encoded by the app (never an SVG, never the uploaded bytes), served with caching."""

import os
import re
from io import BytesIO

import pytest
from PIL import Image, PngImagePlugin

from campaign.campaigns import branding
from campaign.campaigns.service import CampaignDetails, CampaignError, update_campaign
from campaign.extensions import db
from campaign.groups import service as groups
from tests.factories import volunteer
from tests.helpers import csrf_token

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


def _png(size=(400, 300), colour=(11, 92, 173), text: str | None = None) -> bytes:
    image = Image.new("RGB", size, colour)
    info = None
    if text:
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", text)
    out = BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _jpeg() -> bytes:
    out = BytesIO()
    Image.new("RGB", (120, 80), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def _noise_png(min_bytes: int) -> bytes:
    """A PNG that does not compress: just over ``min_bytes``."""
    side = int((min_bytes / 3) ** 0.5) + 8
    out = BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="PNG")
    assert min_bytes < out.tell() < min_bytes * 1.2
    return out.getvalue()


# --- the rules, as pure functions --------------------------------------------------------


@pytest.mark.parametrize(
    ("colour", "ratio"),
    [("#ffffff", 1.0), ("#000000", 21.0), ("#767676", 4.54), ("#777777", 4.48)],
)
def test_contrast_with_white_follows_wcag(colour, ratio):
    assert branding.contrast_with_white(colour) == pytest.approx(ratio, abs=0.01)


def test_a_colour_is_normalised_and_needs_contrast_with_white():
    assert branding.checked_colour(" #0B5CAD ") == "#0b5cad"
    assert branding.checked_colour("0b5cad") == "#0b5cad"
    assert branding.checked_colour("#a11") == "#aa1111"
    assert branding.checked_colour("#767676") == "#767676"  # 4.54:1, just enough
    assert branding.checked_colour("") is None
    for low in ("#777777", "#ffcc00", "#ffffff", "#7ab8ff"):
        with pytest.raises(branding.BrandingError) as refused:
            branding.checked_colour(low)
        assert refused.value.code == "colour_low_contrast"
    for bad in ("blue", "#12345", "#gggggg", "rgb(0,0,0)", "#0b5cad;}body{x:y"):
        with pytest.raises(branding.BrandingError) as refused:
            branding.checked_colour(bad)
        assert refused.value.code == "bad_colour"


def test_a_logo_is_re_encoded_small_and_without_the_uploads_metadata():
    upload = _png(size=(1000, 500), text="secret location")
    stored = branding.logo_png(upload, "logo.png")
    assert stored != upload
    assert b"secret location" not in stored
    with Image.open(BytesIO(stored)) as image:
        assert image.format == "PNG"
        assert image.size == (256, 128)
    with Image.open(BytesIO(branding.logo_png(_jpeg(), "logo.jpg"))) as image:
        assert image.format == "PNG"
        assert image.size == (120, 80)


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (SVG, "logo.svg", "logo_svg"),
        (SVG, "logo.png", "logo_svg"),  # named PNG, still an SVG
        (_png(), "logo.svg", "logo_svg"),
        (b"GIF89a" + b"\0" * 100, "logo.gif", "logo_not_image"),
        (b"not an image at all", "logo.png", "logo_not_image"),
        (_png()[:200], "logo.png", "logo_not_image"),  # cut short
    ],
)
def test_a_logo_that_is_not_a_png_or_jpeg_is_refused(data, filename, code):
    with pytest.raises(branding.BrandingError) as refused:
        branding.logo_png(data, filename)
    assert refused.value.code == code


def test_a_logo_over_200_kb_is_refused():
    big = _noise_png(200 * 1024)
    with pytest.raises(branding.BrandingError) as refused:
        branding.logo_png(big, "big.png")
    assert refused.value.code == "logo_too_large"


def test_a_small_file_that_unpacks_into_a_huge_picture_is_refused():
    out = BytesIO()
    Image.new("1", (5000, 5000)).save(out, format="PNG")  # a few KB
    assert out.tell() < 200 * 1024
    with pytest.raises(branding.BrandingError) as refused:
        branding.logo_png(out.getvalue(), "bomb.png")
    assert refused.value.code == "logo_not_image"


# --- the service and the form --------------------------------------------------------------


def _edit(client, campaign, **extra) -> dict:
    url = f"/organise/campaigns/{campaign.slug}/edit"
    values = {
        "csrf_token": csrf_token(client, url),
        "name": campaign.name,
        "slug": campaign.slug,
        "pledge": campaign.pledge,
        "default_min_group_size": "3",
        "default_max_group_size": "8",
        "retention_days": "7",
        "languages": "en",
    }
    values.update(extra)
    return client.post(url, data=values, content_type="multipart/form-data")


def test_the_service_refuses_colour_and_logo_together_and_changes_nothing(make_campaign):
    campaign = make_campaign()
    admin = campaign.admins[0]
    details = _details(campaign, colour="#ffcc00", logo=SVG, logo_filename="x.svg")
    with pytest.raises(CampaignError) as refused:
        update_campaign(campaign, admin, details)
    assert refused.value.problems == [("colour", "colour_low_contrast"), ("logo_file", "logo_svg")]


def _details(campaign, **overrides):
    values = {"name": campaign.name, "slug": campaign.slug, "pledge": campaign.pledge}
    values.update(overrides)
    return CampaignDetails(**values)


def test_an_admin_sets_colour_and_logo_and_they_lead_the_header(
    client, signed_in, make_campaign, make_event
):
    campaign = make_campaign(name="I AM HAZARA")
    event = make_event(campaign=campaign)
    joined = groups.start_group(event, volunteer())
    db.session.commit()
    signed_in(campaign.admins[0])
    form_page = client.get(f"/organise/campaigns/{campaign.slug}/edit").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form_page
    assert 'name="colour"' in form_page and 'name="logo_file"' in form_page

    upload = _png(text="from the camera")
    response = _edit(client, campaign, colour="#0B5CAD", logo_file=(BytesIO(upload), "l.png"))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(campaign)
    assert campaign.colour == "#0b5cad"
    assert campaign.logo_version and campaign.logo != upload

    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/organise")})
    for path in (
        f"/c/{campaign.slug}",
        f"/e/{event.ref}",
        f"/e/{event.ref}/join",
        f"/me/{joined.token}",
    ):
        page = client.get(path).get_data(as_text=True)
        header = page[page.index("<header") : page.index("</header>")]
        assert 'class="site-header branded coloured"' in header, path
        assert f'<span dir="auto">{campaign.name}</span>' in header, path
        assert f"/c/{campaign.slug}/logo.png?v={campaign.logo_version}" in header, path
        assert f"/c/{campaign.slug}/theme.css?v=0b5cad" in header, path
        assert "Campaign organiser" not in header and "Organiser sign-in" not in header, path
        footer = page[page.index("<footer") :]
        assert "Organiser sign-in" in footer, path

    theme = client.get(f"/c/{campaign.slug}/theme.css?v=0b5cad")
    assert theme.mimetype == "text/css"
    assert "--campaign-colour: #0b5cad;" in theme.get_data(as_text=True)
    assert "immutable" in theme.headers["Cache-Control"]


def test_the_logo_is_served_as_png_with_caching(client, make_campaign):
    campaign = make_campaign()
    update_campaign(campaign, campaign.admins[0], _details(campaign, logo=_jpeg()))
    db.session.commit()
    version = campaign.logo_version
    url = f"/c/{campaign.slug}/logo.png"

    plain = client.get(url)
    assert plain.status_code == 200
    assert plain.mimetype == "image/png"
    assert plain.headers["X-Content-Type-Options"] == "nosniff"
    assert plain.headers["ETag"] == f'"{version}"'
    assert "public" in plain.headers["Cache-Control"]
    assert "max-age=3600" in plain.headers["Cache-Control"]
    with Image.open(BytesIO(plain.data)) as image:
        assert image.format == "PNG"

    assert client.get(url, headers={"If-None-Match": f'"{version}"'}).status_code == 304
    versioned = client.get(f"{url}?v={version}")
    assert "immutable" in versioned.headers["Cache-Control"]
    assert "max-age=31536000" in versioned.headers["Cache-Control"]


def test_no_logo_or_colour_is_a_404_and_the_plain_header_stays(client, make_campaign):
    campaign = make_campaign()
    assert client.get(f"/c/{campaign.slug}/logo.png").status_code == 404
    assert client.get(f"/c/{campaign.slug}/theme.css").status_code == 404
    assert client.get("/c/no-such-campaign/logo.png").status_code == 404
    page = client.get(f"/c/{campaign.slug}").get_data(as_text=True)
    assert 'class="site-header branded"' in page
    assert "theme.css" not in page and "logo.png" not in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"colour": "#ffcc00"}, "White text is hard to read on this colour"),
        ({"colour": "yellow"}, "Write the colour as # and six hex digits"),
        ({"logo_file": (SVG, "logo.svg")}, "SVG files can carry scripts"),
        ({"logo_file": (b"%PDF-1.4", "logo.png")}, "not a PNG or JPEG image"),
    ],
)
def test_a_refused_colour_or_logo_is_said_on_the_form_and_nothing_changes(
    client, signed_in, make_campaign, fields, message
):
    campaign = make_campaign()
    signed_in(campaign.admins[0])
    if "logo_file" in fields:
        data, filename = fields["logo_file"]
        fields = {"logo_file": (BytesIO(data), filename)}
    response = _edit(client, campaign, **fields)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert re.search(r'<div class="form-errors error-summary"', page)
    db.session.refresh(campaign)
    assert campaign.colour is None and campaign.logo_version is None


def test_an_oversized_logo_is_refused_on_the_form(client, signed_in, make_campaign):
    campaign = make_campaign()
    signed_in(campaign.admins[0])
    big = _noise_png(200 * 1024)
    response = _edit(client, campaign, logo_file=(BytesIO(big), "big.png"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "The logo is too large: at most 200 KB." in response.get_data(as_text=True)
    db.session.refresh(campaign)
    assert campaign.logo_version is None


def test_an_admin_removes_the_logo_and_saving_without_a_file_keeps_it(
    client, signed_in, make_campaign
):
    campaign = make_campaign()
    update_campaign(campaign, campaign.admins[0], _details(campaign, logo=_png()))
    db.session.commit()
    version = campaign.logo_version
    signed_in(campaign.admins[0])
    assert _edit(client, campaign).status_code == 302  # no file chosen: the logo stays
    db.session.refresh(campaign)
    assert campaign.logo_version == version
    assert _edit(client, campaign, remove_logo="y").status_code == 302
    db.session.refresh(campaign)
    assert campaign.logo_version is None and campaign.logo is None
    assert client.get(f"/c/{campaign.slug}/logo.png").status_code == 404
