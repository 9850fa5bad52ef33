"""Printable signs: sign texts in, PDF bytes (or an SVG preview) out. No Flask here.

Black on white, one sign per page, laid out by ``layout.py``: each run of text drawn in
its font at its place, shaped with HarfBuzz so Persian and Urdu join and run right to
left. The PDF and the SVG preview draw the same runs at the same places.
"""

import unicodedata
from html import escape
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align

from campaign.slogans.layout import (
    LATIN,
    MARGIN,
    NASKH,
    NASTALIQ,
    PT,
    SCRIPTS,
    Block,
    Layout,
    Line,
    PlacedRun,
    SignPage,
    font_for,
    fonts,
    is_rtl,
    layout_sign,
    script_name,
)

#: What others import from here (the layout's names among them).
__all__ = [
    "MARGIN",
    "PT",
    "Block",
    "Layout",
    "SignPage",
    "font_for",
    "fonts",
    "is_rtl",
    "layout_sign",
    "page_size",
    "script_name",
    "sign_svg",
    "signs_pdf",
]

#: Paper sizes in millimetres, portrait.
PAPERS = {"a4": (210.0, 297.0), "a3": (297.0, 420.0), "letter": (215.9, 279.4)}
ORIENTATIONS = ("landscape", "portrait")


def page_size(paper: str, orientation: str) -> tuple[float, float]:
    width, height = PAPERS[paper]
    return (
        (max(width, height), min(width, height)) if orientation == "landscape" else (width, height)
    )


# --- PDF -----------------------------------------------------------------------------------


def _new_pdf(font_dir: Path) -> FPDF:
    pdf = FPDF(unit="mm")
    for script in SCRIPTS:
        pdf.add_font(script.family, "", font_dir / f"{script.stem}.ttf")
    pdf.set_text_shaping(True)
    pdf.set_auto_page_break(False)
    pdf.c_margin = 0  # each run starts exactly where the layout puts it
    return pdf


def _pdf_string(text: str) -> str:
    """A PDF string in UTF-16BE: what a line says, for copying and searching."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


#: Invisible marks that give a run's ends its direction: LRM, RLM.
DIRECTION_MARKS = {False: "\u200e", True: "\u200f"}
STRONG = {False: {"L"}, True: {"R", "AL"}}


def actual_text(text: str, rtl: bool) -> str:
    """What a run says, for copying and searching: in the order its glyphs stand (a
    right-to-left run reversed, letter by letter), the order extractors (poppler, PDFium)
    expect of any page before they turn right-to-left text round. An end that is not a
    letter of the run's direction (a "?", the tanwin of "لطفاً") gets a direction mark,
    or extractors give it to the neighbouring text ("? ME")."""
    said = text[::-1] if rtl else text
    mark = DIRECTION_MARKS[rtl]
    if said and unicodedata.bidirectional(said[0]) not in STRONG[rtl]:
        said = mark + said
    if said and unicodedata.bidirectional(said[-1]) not in STRONG[rtl]:
        said = said + mark
    return said


def _draw_line(pdf: FPDF, line: Line, size: float, language: str) -> None:
    # fpdf2 puts a cell's baseline at y + h/2 + 0.3 of the size; a cell of no height keeps
    # its top on the page (poppler drops text whose cell starts above the page).
    y = line.baseline - 0.3 * size * PT
    for run in sorted(line.runs, key=lambda run: run.index):
        # Each run says what it reads (/ActualText): Nastaliq glyphs carry no letters of
        # their own and sit on a slanted baseline, so text pulled out of the page came
        # apart, and extractors guess the direction of a page's punctuation wrongly.
        pdf._out(f"/Span <</ActualText {_pdf_string(actual_text(run.text, run.rtl))}>> BDC")
        pdf.set_font(run.family, "", size)
        pdf.set_text_shaping(True, direction="rtl" if run.rtl else "ltr", language=language)
        pdf.set_xy(run.x, y)
        pdf.cell(run.width, 0, run.text, align=Align.L)
        pdf._out("EMC")


def signs_pdf(
    pages: list[SignPage],
    font_dir: Path,
    *,
    paper: str = "a4",
    orientation: str = "landscape",
    title: str = "Signs",
    size: tuple[float, float] | None = None,
) -> bytes:
    """One sign per page, on ``paper`` in ``orientation``, or on a page of ``size``
    (width, height in millimetres) when given (a share picture, say)."""
    width, height = size or page_size(paper, orientation)
    pdf = _new_pdf(font_dir)
    pdf.set_title(title)
    pdf.set_creator("campaign")
    pdf.set_text_color(0, 0, 0)
    for page in pages:
        pdf.add_page(format=(width, height))
        layout = layout_sign(page, width, height, font_dir)
        for block in (*layout.blocks, layout.footer):
            if block is None:
                continue
            for line in block.placed:
                _draw_line(pdf, line, block.size, block.language)
    return bytes(pdf.output())


# --- SVG preview ---------------------------------------------------------------------------

#: CSS font stacks for the preview; the page declares these families with @font-face.
CSS_FAMILIES = {
    LATIN.family: "'Noto Sans Sign', sans-serif",
    NASKH.family: "'Noto Naskh Arabic Sign', serif",
    NASTALIQ.family: "'Noto Nastaliq Urdu Sign', serif",
}


def sign_svg(layout: Layout, label: str) -> str:
    """A small picture of the sign: the PDF's runs, each at the PDF's place and size in
    the PDF's font, so preview and print read the same."""
    parts = [
        f'<svg class="sign-preview" viewBox="0 0 {layout.width:.1f} {layout.height:.1f}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f'<rect width="{layout.width:.1f}" height="{layout.height:.1f}" fill="#fff" '
        'stroke="#000" stroke-width="0.8"/>',
    ]
    for block in (*layout.blocks, layout.footer):
        if block is None:
            continue
        for line in block.placed:
            parts.append(
                f'<text y="{line.baseline:.2f}" font-weight="700" '
                f'font-size="{block.size * PT:.2f}" fill="#000" text-anchor="middle"'
                f"{_lang(block.language)}>{''.join(_tspan(run) for run in line.runs)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _tspan(run: PlacedRun) -> str:
    # Anchored at its middle: a browser's shaping may differ by a hair, never the place.
    direction = ' direction="rtl" unicode-bidi="embed"' if run.rtl else ""
    return (
        f'<tspan x="{run.x + run.width / 2:.2f}" font-family="{CSS_FAMILIES[run.family]}"'
        f"{direction}>{escape(run.text)}</tspan>"
    )


def _lang(language: str) -> str:
    return f' lang="{escape(language)}"' if language else ""
