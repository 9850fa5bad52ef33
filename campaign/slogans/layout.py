"""Where a sign's text goes: sign texts in, placed runs out. No Flask, no PDF here.

The text at the largest size whose ink fits inside the margins, with breaks only between
words: a word never breaks, the size shrinks until the longest word fits. Each script gets
a font that reads well from across a street, and words in another script (a Latin city
name on a Persian sign) get a font that has their letters (``runs.py``); the PDF and the
SVG preview (``render.py``) draw these runs at these places.

Legibility is measured by letter height: the capitals of Latin text, the alef of Arabic
script. A reader sees letters of height h from about 330 h away (30 mm from 10 m); a
bilingual sign shares its height so both lines are as large as they can be relative to
their goals (30 mm for the sign's language, 25 mm for the second line on A4 landscape).
"""

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from campaign.slogans import runs as text_runs

PT = 25.4 / 72  # millimetres per point


@dataclass(frozen=True)
class Script:
    family: str
    stem: str
    #: Baseline to baseline at least, in ems; lines whose ink reaches further get more.
    min_step: float
    #: The height of the letters legibility is judged by, in ems: the ink of a capital
    #: (Latin) or of the alef (Arabic script), from the HarfBuzz glyph extents.
    letter_height: float


LATIN = Script("NotoSans", "NotoSans-Bold", 0.9, 0.714)
NASKH = Script("NotoNaskhArabic", "NotoNaskhArabic-Bold", 1.3, 0.671)
NASTALIQ = Script("NotoNastaliqUrdu", "NotoNastaliqUrdu-Bold", 1.5, 0.857)
SCRIPTS = (LATIN, NASKH, NASTALIQ)
#: Languages written in Arabic script; Urdu gets Nastaliq, the way it is read.
ARABIC_SCRIPT = {"ar", "fa", "prs", "ps", "ckb", "sd", "ug", "haz"}
RTL = ARABIC_SCRIPT | {"ur", "he", "yi"}

#: Margins, a share of the page's short side: thin enough for large letters, wide enough
#: for any printer. The footer's small print sits in the bottom margin.
MARGIN = 0.05
#: Clear space between the ink of two lines, in ems.
LINE_GAP = 0.2
#: Clear space between the two texts of a bilingual sign, a share of the inner height.
BLOCK_GAP = 0.04
#: Letter heights a bilingual sign aims at, in proportion: the second line may be smaller.
GOALS = (30.0, 25.0)
FOOTER_SIZE = 9.0  # points


@dataclass(frozen=True)
class SignPage:
    text: str
    language: str
    second_text: str = ""
    second_language: str = ""
    #: Small print at the foot, e.g. "I AM HAZARA · 2 of 3", so a group lines up in order.
    footer: str = ""


def font_for(language: str) -> Script:
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


def fonts(font_dir: Path) -> text_runs.Fonts:
    return text_runs.Fonts(font_dir, tuple((s.family, s.stem) for s in SCRIPTS))


# --- layout --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedRun:
    text: str
    family: str
    rtl: bool
    x: float  # millimetres from the page's left edge to the run's start (its advance box)
    width: float  # millimetres
    #: Its place in reading order: the PDF draws runs in this order, so extractors that
    #: follow the drawing (pypdf) read the line as it is read.
    index: int = 0


@dataclass(frozen=True)
class Line:
    text: str  # in logical order, as read
    baseline: float  # millimetres from the page top
    runs: tuple[PlacedRun, ...]  # left to right


@dataclass(frozen=True)
class Block:
    """One text placed on the page: its lines at one size, centred."""

    lines: tuple[str, ...]
    family: str
    size: float  # points
    line_height: float  # millimetres, baseline to baseline
    top: float  # millimetres from the page top to the block's highest ink
    language: str
    bottom: float = 0.0  # millimetres from the page top to the block's lowest ink
    placed: tuple[Line, ...] = ()

    @property
    def letter_height(self) -> float:
        """Millimetres: the height of its capitals (Latin) or alef (Arabic script)."""
        script = next(s for s in SCRIPTS if s.family == self.family)
        return script.letter_height * self.size * PT


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    blocks: tuple[Block, ...]
    footer: Block | None
    margin: float = 0.0


@dataclass(frozen=True)
class _Text:
    """A text to lay out: its words' runs, measured once."""

    words: tuple[str, ...]
    inks: tuple[text_runs.Ink, ...]  # each word's, in ems
    space: float  # ems
    script: Script
    language: str
    rtl: bool | None

    @classmethod
    def of(cls, text: str, language: str, font_dir: Path) -> "_Text":
        script = font_for(language)
        rtl = is_rtl(language) if language else None
        lang = language.split("-")[0].lower()
        words = tuple(text.split()) or ("",)
        kit = fonts(font_dir)
        inks = tuple(
            text_runs.extent(text_runs.line_runs(w, script.family, rtl, lang, kit)) for w in words
        )
        space = text_runs.measure(" ", kit.path(script.family), False, lang).advance
        return cls(words, inks, space, script, lang, rtl)


@dataclass(frozen=True)
class _Fit:
    size: float  # points
    lines: tuple[tuple[int, int], ...]  # word ranges
    step: float  # ems, baseline to baseline
    tops: tuple[float, ...]  # ems, each line's ink above its baseline
    bottoms: tuple[float, ...]  # ems, below

    @property
    def height(self) -> float:
        """Millimetres from the first line's highest ink to the last line's lowest."""
        ems = self.tops[0] + (len(self.lines) - 1) * self.step + self.bottoms[-1]
        return ems * self.size * PT


def _line_width(text: _Text, start: int, end: int) -> float:
    """Ems a line of words ``start:end`` may take, ink and advance, swashes included."""
    inks = text.inks[start:end]
    advance = sum(i.advance for i in inks) + text.space * (end - start - 1)
    before = max(0.0, max(-i.left for i in inks))
    after = max(0.0, max(i.right - i.advance for i in inks))
    return advance + before + after


def _wrap(text: _Text, width: float) -> list[tuple[int, int]] | None:
    """Greedy lines (word ranges) within ``width`` ems; None if a word alone is too wide."""
    lines: list[tuple[int, int]] = []
    start = 0
    for end in range(1, len(text.words) + 1):
        if _line_width(text, end - 1, end) > width:
            return None
        if end - start > 1 and _line_width(text, start, end) > width:
            lines.append((start, end - 1))
            start = end - 1
    lines.append((start, len(text.words)))
    return lines


def _fit_at(text: _Text, size: float, width: float, height: float) -> _Fit | None:
    em = size * PT
    lines = _wrap(text, width / em)
    if lines is None:
        return None
    tops = tuple(max(i.top for i in text.inks[a:b]) for a, b in lines)
    bottoms = tuple(max(i.bottom for i in text.inks[a:b]) for a, b in lines)
    step = max(
        [text.script.min_step]
        + [bottoms[n] + tops[n + 1] + LINE_GAP for n in range(len(lines) - 1)]
    )
    fit = _Fit(size, tuple(lines), step, tops, bottoms)
    return fit if fit.height <= height else None


def _upper_size(text: _Text, width: float, height: float) -> float:
    """Points: no larger than one word across the width, one line down the height, or
    all the words set in lines of the whole width, a line step apart, filling the box."""
    widest = max(_line_width(text, n, n + 1) for n in range(len(text.words)))
    tallest = max(i.top + i.bottom for i in text.inks)
    length = _line_width(text, 0, len(text.words))
    steps = max(text.script.min_step, tallest)
    largest = min(
        width / max(widest, 1e-6),
        height / max(tallest, 1e-6),
        (width * height / max(length * steps, 1e-6)) ** 0.5 * 1.05,
    )
    return largest / PT


def _largest(text: _Text, width: float, height: float) -> _Fit:
    """The largest size (to a tenth of a point) whose lines fit the box: a word never
    breaks; the size shrinks until the longest word fits, below any floor if it must.

    Fewer lines can fit where more do not (one line of "I AM HAZARA" on a tall page, two
    at a larger size), so sizes are tried downwards from the most any word allows, 2 %
    at a time, and the first that fits is refined by halving."""
    size = _upper_size(text, width, height)
    too_big = size * 1.02
    fit = None
    while size > 0.1:
        fit = _fit_at(text, size, width, height)
        if fit is not None:
            break
        too_big, size = size, size * 0.98
    if fit is None:  # nothing fits at all (an empty box): the smallest size tried
        lines = tuple((n, n + 1) for n in range(len(text.words)))
        zeros = (0.0,) * len(lines)
        return _Fit(size, lines, text.script.min_step, zeros, zeros)
    low = size
    while too_big - low > 0.1:
        middle = (low + too_big) / 2
        better = _fit_at(text, middle, width, height)
        if better is not None:
            fit, low = better, middle
        else:
            too_big = middle
    return fit


def _place(text: _Text, fit: _Fit, page_width: float, top: float, font_dir: Path) -> Block:
    """The block's lines centred on the page, its highest ink at ``top``."""
    em = fit.size * PT
    kit = fonts(font_dir)
    placed = []
    baseline = top + fit.tops[0] * em
    for start, end in fit.lines:
        line = " ".join(text.words[start:end])
        runs = text_runs.line_runs(line, text.script.family, text.rtl, text.language, kit)
        extent = text_runs.extent(runs)
        # Centre the ink, not the advance: a swash counts as part of the line.
        x = page_width / 2 - (extent.left + extent.right) / 2 * em
        drawn: list[PlacedRun] = []
        gap: text_runs.Run | None = None
        for run in runs:
            if run.is_gap:
                gap = run
            elif drawn and gap is not None and _joins(drawn[-1], gap, run):
                drawn[-1] = _joined(drawn[-1], gap, run, em)
            else:
                drawn.append(
                    PlacedRun(run.text, run.family, run.rtl, x, run.ink.advance * em, run.index)
                )
            if not run.is_gap:
                gap = None
            x += run.ink.advance * em
        placed.append(Line(line, baseline, tuple(drawn)))
        baseline += fit.step * em
    return Block(
        tuple(line.text for line in placed),
        text.script.family,
        fit.size,
        fit.step * em,
        top,
        text.language,
        top + fit.height,
        tuple(placed),
    )


def _joins(left: PlacedRun, gap: text_runs.Run, right: text_runs.Run) -> bool:
    """Words in one font and direction, a space of that font between them, are drawn as
    one run (fewer pieces for the PDF, one text for extractors)."""
    return left.family == gap.family == right.family and left.rtl == right.rtl == gap.rtl


def _joined(left: PlacedRun, gap: text_runs.Run, right: text_runs.Run, em: float):
    first, last = (right.text, left.text) if left.rtl else (left.text, right.text)
    width = left.width + (gap.ink.advance + right.ink.advance) * em
    return replace(
        left, text=f"{first}{gap.text}{last}", width=width, index=min(left.index, right.index)
    )


def _bilingual(first: _Text, second: _Text, width: float, height: float):
    """Both texts' fits, sharing the height so the smaller of their letter heights,
    each over its goal, is as large as it can be: the second line is smaller than the
    first only as much as it must be."""

    def fits(share: float) -> tuple[_Fit, _Fit, float, float]:
        one = _largest(first, width, height * share)
        two = _largest(second, width, height * (1 - share))
        ratio_one = one.size * first.script.letter_height / GOALS[0]
        ratio_two = two.size * second.script.letter_height / GOALS[1]
        return one, two, ratio_one, ratio_two

    low, high = 0.05, 0.95
    for _ in range(10):  # the first's ratio grows with its share, the second's shrinks
        middle = (low + high) / 2
        _, _, ratio_one, ratio_two = fits(middle)
        if ratio_one < ratio_two:
            low = middle
        else:
            high = middle
    candidates = [fits(low), fits(high)]
    one, two, _, _ = max(candidates, key=lambda c: min(c[2], c[3]))
    return one, two


@lru_cache(maxsize=2048)
def layout_sign(page: SignPage, width: float, height: float, font_dir: Path) -> Layout:
    """Where each run goes, measured with the fonts the PDF embeds. Cached: the same signs
    are shown again and again (and each word's runs are measured once, on their own)."""
    margin = min(width, height) * MARGIN
    inner_width = width - 2 * margin
    inner_height = height - 2 * margin
    first = _Text.of(page.text, page.language, font_dir)
    blocks: tuple[Block, ...]
    if page.second_text:
        second = _Text.of(page.second_text, page.second_language, font_dir)
        # The gap between the texts is part of the height they share.
        gap = BLOCK_GAP * inner_height
        one, two = _bilingual(first, second, inner_width, inner_height - gap)
        used = one.height + gap + two.height
        top = margin + (inner_height - used) / 2
        blocks = (
            _place(first, one, width, top, font_dir),
            _place(second, two, width, top + one.height + gap, font_dir),
        )
    else:
        fit = _largest(first, inner_width, inner_height)
        blocks = (_place(first, fit, width, margin + (inner_height - fit.height) / 2, font_dir),)
    footer = _footer(page.footer, width, height, margin, font_dir)
    return Layout(width, height, blocks, footer, margin)


def _footer(text: str, width: float, height: float, margin: float, font_dir: Path):
    """The small print, centred in the bottom margin, in the reader's own language (its
    direction taken from its first letter)."""
    if not text:
        return None
    footer = replace(_Text.of(text, "", font_dir), rtl=None)
    em = FOOTER_SIZE * PT
    lines = ((0, len(footer.words)),)
    tops = (max(i.top for i in footer.inks),)
    bottoms = (max(i.bottom for i in footer.inks),)
    fit = _Fit(FOOTER_SIZE, lines, LATIN.min_step, tops, bottoms)
    top = height - margin / 2 - (tops[0] + bottoms[0]) * em / 2
    return _place(footer, fit, width, top, font_dir)
