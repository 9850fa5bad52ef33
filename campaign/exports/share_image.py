"""Share pictures: the 1200 by 630 PNG that messengers and social sites show beside a link.

Set like a sign (``campaign.slogans.render``: the same fonts, shaping and fitting, so
Persian and Urdu titles join and run right to left), on a page of the picture's shape,
then rasterised with PDFium. Texts in, PNG bytes out; no Flask here.
"""

import io
import threading
import unicodedata
from pathlib import Path

import pypdfium2 as pdfium

from campaign.slogans.render import SignPage, signs_pdf

#: The size Facebook, WhatsApp, Signal, Telegram, Slack and X all crop least (1.91:1).
WIDTH, HEIGHT = 1200, 630
#: The page the picture is set on: 10 pixels per millimetre, so the footer's small print
#: (9 points) is still about 30 pixels tall.
PAGE_MM = (WIDTH / 10, HEIGHT / 10)
#: Change when the picture's layout changes, so no cached copy outlives a deploy.
SHARE_FORMAT = "1"

#: The longest line of free text (a campaign's description) set on a picture.
MAX_LINE = 140

#: PDFium is not thread-safe: one document at a time per process.
_pdfium = threading.Lock()


def _arabic_letters(text: str) -> bool:
    return any("ARABIC" in unicodedata.name(char, "") for char in text if char.isalpha())


def _latin_letters(text: str) -> bool:
    return any("LATIN" in unicodedata.name(char, "") for char in text if char.isalpha())


def text_language(text: str, page_language: str) -> str:
    """The language whose font sets ``text`` on a picture for a page in ``page_language``.

    Text all in Arabic script is set in the page's own script (Nastaliq for Urdu, Naskh
    otherwise); text with any Latin letters in the Latin font, whose fallback sets the
    Arabic-script runs: a venue like "Parliament Square" in a Persian line would otherwise
    lose its letters (the Arabic-script fonts have no Latin glyphs).
    """
    primary = page_language.split("-")[0].lower()
    if _latin_letters(text) or not _arabic_letters(text):
        return "en"
    return "ur" if primary == "ur" else "fa"


def shorten(text: str, limit: int = MAX_LINE) -> str:
    """``text`` on one line, cut at a word before ``limit`` characters (with an ellipsis)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:·\N{EN DASH}-") + "…"


def share_page(title: str, line: str, footer: str, page_language: str) -> SignPage:
    """What a picture shows: ``title`` large, ``line`` (when and where) below, ``footer``
    (the campaign) in small print; each in the font its script needs."""
    title, line, footer = shorten(title), shorten(line), shorten(footer, 80)
    return SignPage(
        text=title,
        language=text_language(title, page_language),
        second_text=line,
        second_language=text_language(line, page_language) if line else "",
        footer=footer,
    )


def share_pdf(page: SignPage, font_dir: Path) -> bytes:
    return signs_pdf([page], font_dir, size=PAGE_MM, title=page.text)


def pdf_to_png(pdf: bytes) -> bytes:
    """The PDF's first page as a greyscale PNG of exactly WIDTH by HEIGHT pixels."""
    with _pdfium:
        document = pdfium.PdfDocument(pdf)
        try:
            page = document[0]
            width, _height = page.get_size()
            image = page.render(scale=WIDTH / width, grayscale=True).to_pil()
            page.close()
        finally:
            document.close()
    if image.size != (WIDTH, HEIGHT):  # a rounding pixel at most
        image = image.resize((WIDTH, HEIGHT))
    out = io.BytesIO()
    image.convert("L").save(out, format="PNG", optimize=True)
    return out.getvalue()


def share_png(page: SignPage, font_dir: Path) -> bytes:
    return pdf_to_png(share_pdf(page, font_dir))
