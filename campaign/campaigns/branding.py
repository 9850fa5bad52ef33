"""A campaign's colour and logo: checked and made safe before they are stored.

Pure functions (text or bytes in, text or bytes out); each refusal is a code for
``CAMPAIGN_ERROR_MESSAGES``. The colour sits behind white text in the header, so it must
reach WCAG AA's 4.5:1 against white. The logo is decoded by Pillow (PNG or JPEG only: an
SVG can carry script) and re-encoded as a small PNG, so no uploaded byte is ever served.
"""

import hashlib
import re
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

COLOUR_PATTERN = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
#: WCAG 2 AA for normal text: the header's white text on the campaign's colour.
MIN_CONTRAST_WITH_WHITE = 4.5
#: The largest logo file accepted, in bytes.
MAX_LOGO_BYTES = 200 * 1024
#: The largest picture decoded: a small file can still unpack into a huge one.
MAX_LOGO_PIXELS = 4000 * 4000
#: The stored logo's longest side: sharp at 48 px on a 4x screen, a few KB.
LOGO_SIDE = 256


class BrandingError(ValueError):
    """A colour or logo refused; ``code`` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def contrast_with_white(colour: str) -> float:
    """WCAG 2's contrast ratio of white on ``colour`` ("#rrggbb"): from 1 to 21."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * _linear(red) + 0.7152 * _linear(green) + 0.0722 * _linear(blue)
    return 1.05 / (luminance + 0.05)


def checked_colour(text: str) -> str | None:
    """``text`` as "#rrggbb" in lower case (None when empty); refuses anything that is not
    a hex colour ("bad_colour") or on which white text would be hard to read
    ("colour_low_contrast")."""
    text = (text or "").strip()
    if not text:
        return None
    match = COLOUR_PATTERN.match(text)
    if not match:
        raise BrandingError("bad_colour")
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    colour = f"#{digits}"
    if contrast_with_white(colour) < MIN_CONTRAST_WITH_WHITE:
        raise BrandingError("colour_low_contrast")
    return colour


def _looks_like_svg(data: bytes, filename: str) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return filename.lower().endswith((".svg", ".svgz")) or head.startswith((b"<?xml", b"<svg"))


def logo_png(data: bytes, filename: str = "") -> bytes:
    """The uploaded logo as a fresh PNG of at most LOGO_SIDE pixels a side, without any of
    the upload's metadata. Refuses an SVG ("logo_svg"), a file over MAX_LOGO_BYTES
    ("logo_too_large") and anything Pillow cannot read as a PNG or JPEG, or too large a
    picture ("logo_not_image")."""
    if _looks_like_svg(data, filename):
        raise BrandingError("logo_svg")
    if len(data) > MAX_LOGO_BYTES:
        raise BrandingError("logo_too_large")
    try:
        with Image.open(BytesIO(data), formats=["PNG", "JPEG"]) as image:
            width, height = image.size
            if width * height <= MAX_LOGO_PIXELS:
                image.load()
                picture = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise BrandingError("logo_not_image") from error
    if width * height > MAX_LOGO_PIXELS:
        raise BrandingError("logo_not_image")
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    picture = picture.convert("RGBA" if has_alpha else "RGB")
    picture.thumbnail((LOGO_SIDE, LOGO_SIDE))
    picture.info = {}  # no text chunks, ICC profile or EXIF from the upload
    out = BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def logo_version(png: bytes) -> str:
    """A short digest of the stored logo: its ETag and cache-busting ?v=."""
    return hashlib.sha256(png).hexdigest()[:16]
