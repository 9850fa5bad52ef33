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


def qr_png(data: str, *, box_size: int = 10) -> bytes:
    """A PNG QR code for ``data``: ``box_size`` pixels per module, a four-module quiet zone."""
    code = _code(data)
    code.box_size = box_size
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
