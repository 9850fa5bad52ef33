"""QR codes: data in, image bytes out. No Flask here."""

import io

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathFillImage


def _code(data: str) -> qrcode.QRCode:
    # Error correction Q (25 %): posters get creased, rained on and photographed at angles.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg(data: str) -> bytes:
    """A scalable SVG QR code for ``data`` (usually an absolute URL)."""
    image = _code(data).make_image(image_factory=SvgPathFillImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


#: Pixels across the print PNG at least: 1,200 px spread over 10 cm is 300 dpi.
PRINT_PIXELS = 1200


def qr_png(data: str, *, box_size: int = 10, min_pixels: int = 0) -> bytes:
    """A PNG QR code for ``data``: ``box_size`` pixels per module, a four-module quiet zone;
    with ``min_pixels``, modules as large as needed for at least that many pixels across
    (whole pixels per module, so every module stays sharp)."""
    code = _code(data)
    modules = code.modules_count + 2 * code.border
    code.box_size = max(box_size, -(-min_pixels // modules))
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
