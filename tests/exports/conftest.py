"""The picture helpers now live in tests/exports/pictures.py; these names stay importable
from here for tests that still import them."""

from tests.exports.pictures import decode_qr_png, pdf_page_to_png, svg_to_png  # noqa: F401
