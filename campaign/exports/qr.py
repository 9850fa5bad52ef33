"""QR codes: data in, image bytes out. No Flask here."""

import io

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage


def _code(data: str) -> qrcode.QRCode:
    # Error correction Q (25 %): posters get creased, rained on and photographed at angles.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg(data: str) -> bytes:
    """A scalable SVG QR code for ``data`` (usually an absolute URL)."""
    image = _code(data).make_image(image_factory=SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
