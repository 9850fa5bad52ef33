"""Sign text cut into runs, each in one font and one direction, measured. No Flask here.

The Naskh and Nastaliq fonts have no Latin letters and Noto Sans has no Arabic script, so
each run gets the first font that has its letters (the sign's own font first): "London"
on a Persian sign is set in Noto Sans. Runs are put in reading order by the Unicode
bidirectional algorithm (fpdf2's implementation), so on a right-to-left sign "London"
stands rightmost, where the sentence begins. Runs never cross a space: a line is its
words' runs and gaps, so what is measured is exactly what is drawn, in the PDF and in the
SVG preview alike.

Measurements are in ems (multiples of the font size) from HarfBuzz, shaped with the same
direction and language the PDF is drawn with: the advance, and the ink box of the shaped
glyphs (Nastaliq words rise well above the baseline and swash past their advance).
"""

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb
from fpdf.bidi import BidiParagraph
from fpdf.enums import TextDirection

#: Bidirectional classes of letters that decide a direction.
STRONG = {"L", "R", "AL"}
RTL_CLASSES = {"R", "AL"}


@dataclass(frozen=True)
class Ink:
    """A run's extent in ems, from the pen's start on the baseline (y grows upwards)."""

    advance: float
    left: float  # ink's left edge (below 0: a swash reaching back past the start)
    right: float  # ink's right edge (above the advance: reaching past the end)
    top: float  # highest ink above the baseline
    bottom: float  # lowest ink below the baseline, as a positive depth


@dataclass(frozen=True)
class Run:
    """Text in one font and direction (logical order), or a space between words."""

    text: str
    family: str
    rtl: bool
    ink: Ink
    level: int = 0
    #: Its place in reading (logical) order.
    index: int = 0

    @property
    def is_gap(self) -> bool:
        return not self.text.strip()


@dataclass(frozen=True)
class Fonts:
    """The fonts a sign may use, by family: the sign's own font first, then the others."""

    font_dir: Path
    #: (family, file stem) of every font, in the order a missing letter tries them.
    files: tuple[tuple[str, str], ...]

    def path(self, family: str) -> Path:
        return self.font_dir / f"{dict(self.files)[family]}.ttf"

    def order(self, primary: str) -> list[str]:
        return [primary, *(family for family, _ in self.files if family != primary)]


@lru_cache(maxsize=8)
def _hb_font(path: Path) -> tuple[hb.Font, int]:
    face = hb.Face(hb.Blob.from_file_path(str(path)))
    return hb.Font(face), face.upem


def has_glyph(path: Path, char: str) -> bool:
    font, _ = _hb_font(path)
    return font.get_nominal_glyph(ord(char)) is not None


@lru_cache(maxsize=16384)
def measure(text: str, path: Path, rtl: bool, language: str) -> Ink:
    """Shape ``text`` as fpdf2 does (cluster level 1, the direction and language given)."""
    if not text:
        return Ink(0.0, 0.0, 0.0, 0.0, 0.0)
    font, upem = _hb_font(path)
    buf = hb.Buffer()
    buf.cluster_level = 1
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.direction = "rtl" if rtl else "ltr"
    if language:
        buf.language = language
    hb.shape(font, buf, {})
    pen = 0
    left, right, top, bottom = 0.0, 0.0, 0.0, 0.0
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        extents = font.get_glyph_extents(info.codepoint)
        if extents is not None and extents.width and extents.height:
            x = pen + pos.x_offset + extents.x_bearing
            y = pos.y_offset + extents.y_bearing
            left, right = min(left, x), max(right, x + extents.width)
            top, bottom = max(top, y), min(bottom, y + extents.height)
        pen += pos.x_advance
    right = max(right, pen)
    return Ink(pen / upem, left / upem, right / upem, top / upem, -bottom / upem)


def _font_for(char: str, previous: str | None, fonts: Fonts, primary: str) -> str:
    """The font for ``char``: marks, joiners and punctuation stay with the letter before
    them when its font has them; letters take the first font that has them."""
    category = unicodedata.category(char)
    if previous is not None and (
        category in {"Mn", "Me", "Cf"}
        or (unicodedata.bidirectional(char) not in STRONG and has_glyph(fonts.path(previous), char))
    ):
        return previous
    for family in fonts.order(primary):
        if has_glyph(fonts.path(family), char):
            return family
    return previous or primary


def _levels(text: str, rtl: bool | None) -> list[int]:
    """The embedding level of each character (rules up to L1); ``rtl`` None: detected."""
    base = None if rtl is None else (TextDirection.RTL if rtl else TextDirection.LTR)
    paragraph = BidiParagraph(text, base_direction=base, preserve_bn_chars=True)
    resolved = paragraph.get_characters_with_embedding_level()
    levels: list[int | None] = [None] * len(text)
    for char in resolved:
        levels[char.character_index] = char.embedding_level
    last = paragraph.base_embedding_level
    for n, level in enumerate(levels):
        last = level if level is not None else last
        levels[n] = last
    return [int(level or 0) for level in levels]


def _segments(text: str, levels: list[int], fonts: Fonts, primary: str):
    """(text, family, level) pieces in logical order: a piece ends at a space, a change of
    level or a change of font."""
    pieces: list[list] = []
    family: str | None = None
    for char, level in zip(text, levels, strict=True):
        if char.isspace():
            if pieces and pieces[-1][1] == "" and pieces[-1][2] == level:
                pieces[-1][0] += char
            else:
                pieces.append([char, "", level])
            family = None
            continue
        chosen = _font_for(char, family, fonts, primary)
        if (
            pieces
            and pieces[-1][1] == chosen
            and (pieces[-1][2] == level or unicodedata.category(char) in {"Mn", "Me", "Cf"})
        ):
            pieces[-1][0] += char
        else:
            pieces.append([char, chosen, level])
        family = chosen
    return pieces


def _visual_order(runs: list[Run]) -> tuple[Run, ...]:
    """Rule L2: from the highest level down to the lowest odd one, reverse every stretch
    of runs at that level or higher."""
    if not runs:
        return ()
    highest = max(run.level for run in runs)
    lowest_odd = min((run.level for run in runs if run.level % 2), default=highest + 1)
    ordered = list(runs)
    for level in range(highest, lowest_odd - 1, -1):
        result: list[Run] = []
        stretch: list[Run] = []
        for run in ordered:
            if run.level >= level:
                stretch.append(run)
                continue
            result += reversed(stretch)
            stretch = []
            result.append(run)
        ordered = result + list(reversed(stretch))
    return tuple(ordered)


@lru_cache(maxsize=8192)
def line_runs(text: str, primary: str, rtl: bool | None, language: str, fonts: Fonts):
    """The runs of one line of ``text``, left to right as drawn, each measured.

    ``primary`` is the sign's own font, ``rtl`` its paragraph direction (None: from the
    text's first letter), ``language`` the BCP 47 code shaping is told. Gaps (spaces) are
    measured in the sign's own font, whatever the words around them."""
    text = " ".join(text.split())
    runs = []
    segments = _segments(text, _levels(text, rtl), fonts, primary)
    for index, (piece, family, level) in enumerate(segments):
        font = family or primary
        rtl_run = bool(level % 2)
        ink = measure(piece, fonts.path(font), rtl_run, language)
        runs.append(Run(piece, font, rtl_run, ink, level, index))
    return _visual_order(runs)


def extent(runs) -> Ink:
    """The ink of runs set one after another from 0, as one: advance and ink box."""
    pen = 0.0
    left, right, top, bottom = 0.0, 0.0, 0.0, 0.0
    for run in runs:
        if not run.is_gap:
            left, right = min(left, pen + run.ink.left), max(right, pen + run.ink.right)
            top, bottom = max(top, run.ink.top), max(bottom, run.ink.bottom)
        pen += run.ink.advance
    return Ink(pen, left, max(right, pen), top, bottom)
