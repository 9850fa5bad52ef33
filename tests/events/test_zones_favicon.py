"""/favicon.ico: browsers ask for it on every first visit; it was a 404 (issue 16)."""

from io import BytesIO

from PIL import Image

from tests.databases import SQLITE_ONLY

pytestmark = SQLITE_ONLY  # a static file: no database involved


def test_favicon_is_a_small_cached_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.cache_control.max_age == 24 * 3600 and response.cache_control.public
    assert len(response.data) < 5000
    icon = Image.open(BytesIO(response.data))
    assert icon.format == "ICO"
    assert {(16, 16), (32, 32)} <= icon.info["sizes"]


def test_favicon_is_cached_for_a_signed_in_organiser_too(client, signed_in, make_organiser):
    """The no-store rule for signed-in pages leaves a view's own caching alone."""
    signed_in(make_organiser())
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert "no-store" not in response.headers["Cache-Control"]
