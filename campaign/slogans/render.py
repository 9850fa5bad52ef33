"""Printable signs: sign texts in, PDF bytes (or an SVG preview) out. No Flask here.

Black on white, thick margins, one sign per page, the text at the largest size that fits
with breaks only between words. Text is shaped with HarfBuzz, so Persian and Urdu join
and run right to left; each script gets a font that reads well from across a street.
"""

import threading
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align

#: Paper sizes in millimetres, portrait.
PAPERS = {"a4": (210.0, 297.0), "a3": (297.0, 420.0), "letter": (215.9, 279.4)}
ORIENTATIONS = ("landscape", "portrait")
PT = 25.4 / 72  # millimetres per point

#: Font family, file stem and line height (a multiple of the size) for each script.
LATIN = ("NotoSans", "NotoSans-Bold", 1.2)
NASKH = ("NotoNaskhArabic", "NotoNaskhArabic-Bold", 1.6)
NASTALIQ = ("NotoNastaliqUrdu", "NotoNastaliqUrdu-Bold", 2.3)
#: Languages written in Arabic script; Urdu gets Nastaliq, the way it is read.
ARABIC_SCRIPT = {"ar", "fa", "prs", "ps", "ckb", "sd", "ug", "haz"}
RTL = ARABIC_SCRIPT | {"ur", "he", "yi"}


@dataclass(frozen=True)
class SignPage:
    text: str
    language: str
    second_text: str = ""
    second_language: str = ""
    #: Small print at the foot, e.g. "I AM HAZARA · 2 of 3", so a group lines up in order.
    footer: str = ""


def font_for(language: str) -> tuple[str, str, float]:
    primary = language.split("-")[0].lower()
    if primary == "ur":
        return NASTALIQ
    if primary in ARABIC_SCRIPT:
        return NASKH
    return LATIN


def script_name(language: str) -> str:
    """ "latin", "naskh" or "nastaliq": which of the vendored fonts suits the language."""
    return {LATIN: "latin", NASKH: "naskh", NASTALIQ: "nastaliq"}[font_for(language)]


def is_rtl(language: str) -> bool:
    return language.split("-")[0].lower() in RTL


def page_size(paper: str, orientation: str) -> tuple[float, float]:
    width, height = PAPERS[paper]
    return (
        (max(width, height), min(width, height)) if orientation == "landscape" else (width, height)
    )


# --- layout --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One text block placed on the page: its lines at one size, centred in a box."""

    lines: tuple[str, ...]
    family: str
    size: float  # points
    line_height: float  # millimetres
    top: float  # millimetres from the page top to the first line's box
    language: str


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    blocks: tuple[Block, ...]
    footer: Block | None


def _new_pdf(font_dir: Path) -> FPDF:
    pdf = FPDF(unit="mm")
    for family, stem, _ in (LATIN, NASKH, NASTALIQ):
        pdf.add_font(family, "", font_dir / f"{stem}.ttf")
    pdf.set_fallback_fonts([NASKH[0]], exact_match=False)
    pdf.set_text_shaping(True)
    pdf.set_auto_page_break(False)
    return pdf


_local = threading.local()


def _measuring_pdf(font_dir: Path) -> FPDF:
    """A document kept per thread only to measure text: loading the fonts is the slow part."""
    pdf = getattr(_local, "pdf", None)
    if pdf is None or _local.font_dir != font_dir:
        pdf = _new_pdf(font_dir)
        pdf.add_page()
        _local.pdf, _local.font_dir = pdf, font_dir
    return pdf


#: Words are measured once, at this size; a font's widths grow in proportion to its size.
MEASURED_AT = 100.0


@lru_cache(maxsize=8192)
def _word_widths(text: str, family: str, font_dir: Path) -> tuple[tuple[float, ...], float]:
    """The width of each word of ``text`` and of a space, at ``MEASURED_AT`` points.
    Shaping (HarfBuzz) is the slow part of laying out a sign, Nastaliq above all: each word
    is shaped once here instead of at every size tried."""
    pdf = _measuring_pdf(font_dir)
    pdf.set_font(family, "", MEASURED_AT)
    return tuple(pdf.get_string_width(word) for word in text.split()), pdf.get_string_width(" ")


def _wrap(words: list[str], widths, space: float, width: float) -> list[str] | None:
    """Lines of ``words`` (greedy, breaks only between words) within ``width``, the widths
    already scaled to the size tried; None if a single word is too wide."""
    lines: list[str] = []
    line: list[str] = []
    used = 0.0
    for word, word_width in zip(words, widths, strict=True):
        if word_width > width:
            return None
        if line and used + space + word_width > width:
            lines.append(" ".join(line))
            line, used = [], 0.0
        used += (space if line else 0.0) + word_width
        line.append(word)
    if line:
        lines.append(" ".join(line))
    return lines


Sized = tuple[float, list[str]] | None


def _largest_size(lines_at) -> Sized:
    """Halving between 6 and 600 points: the largest size ``lines_at`` finds lines for."""
    low, high = 6.0, 600.0
    best: Sized = None
    while high - low > 0.5:
        size = (low + high) / 2
        lines = lines_at(size)
        if lines is not None:
            best, low = (size, lines), size
        else:
            high = size
    return best


def _measured_whole(best: Sized, lines_at, pdf, family: str, width: float) -> Sized:
    """Half a point smaller until the whole lines, shaped at that size, fit the width."""
    for _ in range(8):  # rarely more than one look
        if best is None:
            break
        size, lines = best
        pdf.set_font(family, "", size)
        if all(pdf.get_string_width(line) <= width for line in lines):
            break
        smaller = size - 0.5
        best = (smaller, lines_at(smaller)) if smaller > 6 and lines_at(smaller) else None
    return best


def _fit(text: str, language: str, width: float, height: float, top: float, font_dir: Path):
    """The largest size (to half a point) at which ``text`` fits the box without breaking
    inside a word: sizes are tried on measured word widths, and the chosen lines are then
    measured whole (shaping across a line can differ slightly from its words' sum)."""
    family, _, leading = font_for(language)
    words = text.split() or [""]
    widths, space = _word_widths(text, family, font_dir)
    widths = widths or (0.0,)

    def lines_at(size: float) -> list[str] | None:
        scale = size / MEASURED_AT
        lines = _wrap(words, [w * scale for w in widths], space * scale, width)
        if lines is None or len(lines) * size * PT * leading > height:
            return None
        return lines

    pdf = _measuring_pdf(font_dir)
    best = _measured_whole(_largest_size(lines_at), lines_at, pdf, family, width)
    if best is None:  # absurdly long text: the smallest size, wrapped anyhow
        pdf.set_font(family, "", 6.0)
        best = (6.0, pdf.multi_cell(width, text=text, dry_run=True, output="LINES"))
    size, lines = best
    line_height = size * PT * leading
    used = len(lines) * line_height
    return Block(tuple(lines), family, size, line_height, top + (height - used) / 2, language)


@lru_cache(maxsize=2048)
def layout_sign(page: SignPage, width: float, height: float, font_dir: Path) -> Layout:
    """Where each line goes, measured with the fonts the PDF embeds. Cached: the same signs
    are shown again and again (and each word's width is cached on its own)."""
    margin = min(width, height) * 0.08
    footer_height = 8.0 if page.footer else 0.0
    inner_width = width - 2 * margin
    inner_height = height - 2 * margin - footer_height
    blocks = []
    if page.second_text:
        gap = inner_height * 0.06
        first_height = (inner_height - gap) * 0.62
        blocks.append(_fit(page.text, page.language, inner_width, first_height, margin, font_dir))
        blocks.append(
            _fit(
                page.second_text,
                page.second_language,
                inner_width,
                inner_height - gap - first_height,
                margin + first_height + gap,
                font_dir,
            )
        )
    else:
        blocks.append(_fit(page.text, page.language, inner_width, inner_height, margin, font_dir))
    footer = None
    if page.footer:
        footer = Block((page.footer,), LATIN[0], 9, 5.0, height - margin / 2 - 5.0, "")
    return Layout(width, height, tuple(blocks), footer)


# --- PDF -----------------------------------------------------------------------------------


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
            pdf.set_font(block.family, "", block.size)
            pdf.set_xy(0, block.top)
            for line in block.lines:
                pdf.cell(width, block.line_height, line, align=Align.C)
                pdf.set_xy(0, pdf.get_y() + block.line_height)
    return bytes(pdf.output())


# --- SVG preview ---------------------------------------------------------------------------

#: CSS font stacks for the preview; the page declares these families with @font-face.
CSS_FAMILIES = {
    LATIN[0]: "'Noto Sans Sign', sans-serif",
    NASKH[0]: "'Noto Naskh Arabic Sign', 'Noto Sans Sign', serif",
    NASTALIQ[0]: "'Noto Nastaliq Urdu Sign', 'Noto Naskh Arabic Sign', serif",
}


def sign_svg(layout: Layout, label: str) -> str:
    """A small picture of the sign, laid out like the PDF, for inline use in a page."""
    parts = [
        f'<svg class="sign-preview" viewBox="0 0 {layout.width:.1f} {layout.height:.1f}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f'<rect width="{layout.width:.1f}" height="{layout.height:.1f}" fill="#fff" '
        'stroke="#000" stroke-width="0.8"/>',
    ]
    for block in (*layout.blocks, layout.footer):
        if block is None:
            continue
        direction = ' direction="rtl"' if is_rtl(block.language) else ""
        for n, line in enumerate(block.lines):
            baseline = block.top + block.line_height * (n + 0.72)
            parts.append(
                f'<text x="{layout.width / 2:.1f}" y="{baseline:.1f}" text-anchor="middle"'
                f'{direction} font-family="{CSS_FAMILIES[block.family]}" '
                f'font-weight="700" font-size="{block.size * PT:.2f}" fill="#000"'
                f"{_lang(block.language)}>{escape(line)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _lang(language: str) -> str:
    return f' lang="{escape(language)}"' if language else ""
