"""A printable A4 poster for one event: texts in, PDF bytes out. No Flask here.

The caller translates and formats every text; this module lays them out. Text is shaped
with HarfBuzz (``uharfbuzz``), so Persian, Urdu and Arabic titles join and run right to
left; Noto fonts are embedded from ``static/fonts``.
"""

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from campaign.exports.qr import qr_svg

PAGE_WIDTH = 210  # mm, A4 portrait
MARGIN = 15
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_SIZE = 105  # mm: scannable from a few metres


@dataclass(frozen=True)
class PosterText:
    campaign: str
    title: str
    when: str
    where: str
    headline: str  # "Never go alone — join a group of at least 3"
    scan: str  # "Scan to join a group"
    join_url: str
    code_instructions: str  # "Have a group code? Open … and type it."
    footer: str = ""
    #: The reader's language: Urdu is set in Nastaliq, the way it is read (as on signs).
    language: str = ""


def distinct_places(parts: Iterable[str]) -> str:
    """The parts of a place joined, each said once: a venue that is also the address's
    first line ("Parliament Square", "Parliament Square, London") is printed once."""
    kept: dict[str, str] = {}
    for part in parts:
        for piece in re.split("[,\u060c]", part or ""):  # a comma, or the Arabic comma
            piece = " ".join(piece.split())
            kept.setdefault(piece.casefold(), piece)
    return ", ".join(piece for piece in kept.values() if piece)


#: The font of Arabic-script letters, and the line height (millimetres per point) with it:
#: Nastaliq words rise high above the line, so its lines stand further apart.
ARABIC_FONTS = {"ur": ("NotoNastaliqUrdu", 0.8)}
NASKH = ("NotoNaskhArabic", 0.45)
ARABIC_LETTERS = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


def _fonts(pdf: FPDF, font_dir: Path, language: str) -> float:
    """Noto Sans, with the Arabic-script font for ``language`` filling in the letters it
    lacks; the line height (millimetres per point) that font needs."""
    family, leading = ARABIC_FONTS.get(language.split("-")[0].lower(), NASKH)
    pdf.add_font("NotoSans", "", font_dir / "NotoSans-Regular.ttf")
    pdf.add_font("NotoSans", "B", font_dir / "NotoSans-Bold.ttf")
    pdf.add_font(family, "", font_dir / f"{family}-Regular.ttf")
    pdf.add_font(family, "B", font_dir / f"{family}-Bold.ttf")
    # Letters missing from Noto Sans (Persian, Urdu, Arabic) come from the Arabic font.
    pdf.set_fallback_fonts([family], exact_match=False)
    pdf.set_text_shaping(True)
    return leading


def _fitted(
    pdf: FPDF,
    text: str,
    *,
    style: str,
    largest: int,
    smallest: int,
    lines: int,
    leading: float = NASKH[1],
):
    """Write ``text`` centred at the largest size (in points) that fits in ``lines`` lines,
    ``leading`` millimetres per point apart if it has Arabic-script letters."""
    family = "NotoSans"
    if not ARABIC_LETTERS.search(text):
        leading = NASKH[1]
    elif leading != NASKH[1]:
        # Nastaliq leads, Noto Sans fills in Latin letters and digits: fpdf2 loses the font
        # of a line that starts in the fallback font (poppler: "No font in show").
        family = ARABIC_FONTS["ur"][0]
        pdf.set_fallback_fonts(["NotoSans"], exact_match=False)
    size = largest
    while size > smallest:
        pdf.set_font(family, style, size)
        wrapped = pdf.multi_cell(TEXT_WIDTH, text=text, dry_run=True, output="LINES")
        if len(cast(list[str], wrapped)) <= lines:
            break
        size -= 2
    pdf.set_font(family, style, size)
    pdf.multi_cell(
        TEXT_WIDTH,
        size * leading,
        text=text,
        align=Align.C,
        max_line_height=size * leading,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def event_poster_pdf(text: PosterText, font_dir: Path) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(f"{text.title} — {text.campaign}")
    pdf.set_creator("campaign")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)
    leading = _fonts(pdf, font_dir, text.language)
    pdf.add_page()

    _fitted(
        pdf, text.campaign.upper(), style="B", largest=16, smallest=10, lines=1, leading=leading
    )
    pdf.ln(3)
    _fitted(pdf, text.title, style="B", largest=34, smallest=16, lines=3, leading=leading)
    pdf.ln(3)
    _fitted(pdf, text.when, style="", largest=16, smallest=10, lines=2, leading=leading)
    _fitted(pdf, text.where, style="", largest=16, smallest=10, lines=3, leading=leading)
    pdf.ln(4)
    _fitted(pdf, text.headline, style="B", largest=24, smallest=16, lines=1, leading=leading)

    top = max(pdf.get_y() + 4, 118)
    pdf.image(io.BytesIO(qr_svg(text.join_url)), x=(PAGE_WIDTH - QR_SIZE) / 2, y=top, w=QR_SIZE)
    pdf.set_y(top + QR_SIZE + 2)
    _fitted(pdf, text.scan, style="B", largest=16, smallest=10, lines=1, leading=leading)
    _fitted(pdf, text.join_url, style="", largest=12, smallest=8, lines=2, leading=leading)
    pdf.ln(2)
    _fitted(pdf, text.code_instructions, style="", largest=13, smallest=8, lines=3, leading=leading)
    if text.footer:
        pdf.set_y(-MARGIN - 12)
        _fitted(pdf, text.footer, style="", largest=10, smallest=7, lines=2, leading=leading)
    return bytes(pdf.output())
