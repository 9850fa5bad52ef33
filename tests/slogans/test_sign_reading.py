"""Signs read back the way people and programs read them: every word extracted whole
(pdftotext) in English, Persian and Urdu with a Latin city name; letters measured on the
rendered page against the goal (readable from 10 m on A4); ink inside the margins in every
script; the preview drawn as the PDF is.

Shaping Nastaliq is slow: the demo's pages are laid out and printed once per module."""

import re
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from functools import cache

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageOps

from campaign.dev.demo import DEMO_SLOGANS
from campaign.slogans.generate import fill
from campaign.slogans.render import (
    CSS_FAMILIES,
    MARGIN,
    PT,
    SignPage,
    fonts,
    layout_sign,
    page_size,
    sign_svg,
    signs_pdf,
)
from campaign.slogans.runs import measure
from tests.helpers import tool
from tests.slogans.test_render import FONTS

CITY = {"city": "London", "country": "United Kingdom"}
#: Both orders of a bilingual sign, and each language alone.
PAIRINGS = [
    ("en", ""),
    ("fa", ""),
    ("ur", ""),
    ("en", "fa"),
    ("en", "ur"),
    ("fa", "en"),
    ("ur", "en"),
]
#: Capitals with flat tops and bottoms: their ink height is the cap height exactly.
FLAT_CAPITALS = set("EFHILT")
DOTS_PER_MM = 10


def _texts(theme_slogan) -> dict[str, str]:
    _theme, _kind, english, persian, urdu = theme_slogan
    return {
        code: fill(text, CITY) for code, text in (("en", english), ("fa", persian), ("ur", urdu))
    }


def demo_pages() -> list[SignPage]:
    pages = []
    for slogan in DEMO_SLOGANS:
        texts = _texts(slogan)
        for first, second in PAIRINGS:
            pages.append(SignPage(texts[first], first, texts.get(second, ""), second))
    return pages


@cache
def printed(paper: str, orientation: str) -> bytes:
    return signs_pdf(demo_pages(), FONTS, paper=paper, orientation=orientation)


def extracted_pages(pdf: bytes) -> list[str]:
    """pdftotext's text of each page, the direction marks it adds around a change of
    direction read as the word breaks they stand for, invisible LRM and RLM dropped."""
    result = subprocess.run(
        [tool("pdftotext", "poppler-utils"), "-", "-"], input=pdf, capture_output=True, check=True
    )
    text = re.sub("[\u202a\u202b\u202c]", " ", result.stdout.decode())
    text = text.translate({0x200E: None, 0x200F: None})
    return text.split("\f")[:-1]


@pytest.mark.parametrize(
    ("paper", "orientation"),
    [("a4", "landscape"), ("a4", "portrait"), ("a3", "portrait"), ("letter", "portrait")],
)
def test_every_word_comes_back_whole_in_every_script(paper, orientation):
    pages = demo_pages()
    texts = extracted_pages(printed(paper, orientation))
    assert len(texts) == len(pages)
    for page, text in zip(pages, texts, strict=True):
        expected = Counter(f"{page.text} {page.second_text}".split())
        assert Counter(text.split()) == expected, (page.language, page.second_language, text)
    assert any("London" in text and "ہزارہ" in text.split() for text in texts)


@pytest.mark.parametrize("language", ["fa", "ur"])
def test_a_latin_city_name_stands_where_the_sentence_starts(language):
    texts = _texts(DEMO_SLOGANS[1])  # "{city} STANDS WITH THE HAZARAS", translated
    layout = layout_sign(SignPage(texts[language], language), *page_size("a4", "landscape"), FONTS)
    first_line = layout.blocks[0].placed[0]
    rightmost = first_line.runs[-1]
    assert (rightmost.text, rightmost.family, rightmost.rtl) == ("London", "NotoSans", False)
    assert all(run.family != "NotoSans" for run in first_line.runs[:-1])
    words = [w for line in layout.blocks[0].placed for run in line.runs for w in run.text.split()]
    assert Counter(words) == Counter(texts[language].split())  # "ہزارہ" whole, once


def test_the_preview_draws_the_runs_the_pdf_draws():
    width, height = page_size("a4", "landscape")
    texts = _texts(DEMO_SLOGANS[1])
    pages = [SignPage(texts["ur"], "ur", texts["en"], "en"), SignPage(texts["fa"], "fa")]
    document = pdfium.PdfDocument(signs_pdf(pages, FONTS))
    for number, page in enumerate(pages):
        layout = layout_sign(page, width, height, FONTS)
        svg = ET.fromstring(sign_svg(layout, "Sign"))  # noqa: S314  # our own SVG
        lines = [line for block in layout.blocks for line in block.placed]
        sizes = [block.size for block in layout.blocks for _ in block.placed]
        drawn = svg.findall("{http://www.w3.org/2000/svg}text")
        assert len(drawn) == len(lines)
        for text, line, size in zip(drawn, lines, sizes, strict=True):
            assert float(text.get("y")) == pytest.approx(line.baseline, abs=0.01)
            assert float(text.get("font-size")) == pytest.approx(size * PT, abs=0.01)
            spans = [(s.text, s.get("font-family"), float(s.get("x"))) for s in text]
            runs = [(r.text, CSS_FAMILIES[r.family], r.x + r.width / 2) for r in line.runs]
            assert [s[:2] for s in spans] == [r[:2] for r in runs]
            assert [s[2] for s in spans] == pytest.approx([r[2] for r in runs], abs=0.01)
        # The PDF: the same fonts on the same baselines (Nastaliq's letters step up and
        # down from theirs), at the same sizes.
        in_pdf = set()
        for obj in document[number].get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_TEXT]):
            family = obj.get_font().get_base_name().split("+")[-1].removesuffix("Bold")
            baseline = height - obj.get_matrix().f * PT
            in_pdf.add((family, round(baseline), round(obj.get_font_size())))
        expected = {
            (run.family, round(line.baseline), round(block.size))
            for block in layout.blocks
            for line in block.placed
            for run in line.runs
        }
        assert expected <= in_pdf
        assert {(f, size) for f, _, size in in_pdf} == {(f, size) for f, _, size in expected}


@pytest.mark.parametrize(("paper", "orientation"), [("a4", "portrait"), ("letter", "portrait")])
def test_a_word_never_breaks_the_size_shrinks_until_it_fits(paper, orientation):
    width, height = page_size(paper, orientation)
    word = "WWW.STAND-WITH-THE-HAZARAS-" + "HAZARA" * 20  # 147 letters, no space
    page = SignPage(f"{word} I AM HAZARA", "en")
    block = layout_sign(page, width, height, FONTS).blocks[0]
    assert block.lines[0] == word
    assert max(run.x + run.width for line in block.placed for run in line.runs) <= width
    text = extracted_pages(signs_pdf([page], FONTS, paper=paper, orientation=orientation))[0]
    assert word in text.split()


def rendered(pdf: bytes, index: int) -> Image.Image:
    page = pdfium.PdfDocument(pdf)[index]
    return page.render(scale=DOTS_PER_MM * PT).to_pil().convert("L")


def ink_box(image: Image.Image) -> tuple[float, float, float, float]:
    """Millimetres: left, top, right, bottom of every pixel darker than mid-grey."""
    left, top, right, bottom = (
        ImageOps.invert(image).point(lambda v: 255 if v > 127 else 0).getbbox()
    )
    return left / DOTS_PER_MM, top / DOTS_PER_MM, right / DOTS_PER_MM, bottom / DOTS_PER_MM


def cap_heights(pdf: bytes, index: int, layout) -> list[tuple[float, float]]:
    """(cap height, baseline) in millimetres of each flat capital on the page, measured
    on the rendered page: the ink within the letter's advance (its side bearings left
    out), found where the layout put it."""
    image = rendered(pdf, index)
    kit = fonts(FONTS)
    heights = []
    for block in layout.blocks:
        em = block.size * PT
        for line in block.placed:
            for run in line.runs:
                if run.family != "NotoSans":
                    continue
                for n, letter in enumerate(run.text):
                    if letter not in FLAT_CAPITALS:
                        continue
                    start = (
                        run.x
                        + measure(run.text[:n], kit.path(run.family), False, block.language).advance
                        * em
                    )
                    end = (
                        run.x
                        + measure(
                            run.text[: n + 1], kit.path(run.family), False, block.language
                        ).advance
                        * em
                    )
                    middle, quarter = (start + end) / 2, (end - start) * 0.4
                    area = (
                        round((middle - quarter) * DOTS_PER_MM),
                        max(0, round((line.baseline - 1.2 * block.letter_height) * DOTS_PER_MM)),
                        round((middle + quarter) * DOTS_PER_MM),
                        round((line.baseline + 0.1 * block.letter_height) * DOTS_PER_MM),
                    )
                    _, ink_top, _, ink_bottom = ink_box(image.crop(area))
                    heights.append((ink_bottom - ink_top, line.baseline))
    return heights


def test_the_rendered_cap_height_is_the_layouts():
    pdf = signs_pdf([SignPage("HELL IT", "en")], FONTS)
    layout = layout_sign(SignPage("HELL IT", "en"), *page_size("a4", "landscape"), FONTS)
    heights = cap_heights(pdf, 0, layout)
    assert len(heights) == 6
    for height, _ in heights:
        assert height == pytest.approx(layout.blocks[0].letter_height, abs=2 / DOTS_PER_MM)


def test_the_alef_height_is_the_layouts():
    page = SignPage("ا", "fa")
    layout = layout_sign(page, *page_size("a4", "landscape"), FONTS)
    _, top, _, bottom = ink_box(rendered(signs_pdf([page], FONTS), 0))
    assert bottom - top == pytest.approx(layout.blocks[0].letter_height, abs=2 / DOTS_PER_MM)


def _english(pages):
    return [(n, page) for n, page in enumerate(pages) if page.language == "en"]


def test_every_english_sign_on_a4_is_readable_from_10_metres():
    """Capitals of 30 mm read from about 10 m (x 330). Measured on the rendered page."""
    pages = demo_pages()
    pdf = printed("a4", "landscape")
    width, height = page_size("a4", "landscape")
    for n, page in _english(pages):
        if page.second_text:
            continue
        heights = cap_heights(pdf, n, layout_sign(page, width, height, FONTS))
        assert heights and min(h for h, _ in heights) >= 30.0, (page.text, heights)


@pytest.mark.parametrize("theme", ["i-am-hazara", "answer-please"])
def test_short_bilingual_signs_reach_both_goals_on_a4(theme):
    """The sign's language 30 mm, the second line 25 mm: both read from 8-10 m."""
    width, height = page_size("a4", "landscape")
    (slogan,) = [s for s in DEMO_SLOGANS if s[0] == theme]
    texts = _texts(slogan)
    for first, second in PAIRINGS:
        if not second:
            continue
        page = SignPage(texts[first], first, texts[second], second)
        layout = layout_sign(page, width, height, FONTS)
        one, two = layout.blocks
        assert one.letter_height >= 30.0 and two.letter_height >= 25.0, (first, second)
        measured = cap_heights(signs_pdf([page], FONTS), 0, layout)  # the English capitals
        assert measured and min(h for h, _ in measured) >= (30.0 if first == "en" else 25.0)


@pytest.mark.parametrize(("paper", "orientation"), [("a4", "landscape"), ("a4", "portrait")])
def test_ink_stays_inside_the_margins_in_every_script(paper, orientation):
    width, height = page_size(paper, orientation)
    margin = min(width, height) * MARGIN
    pdf = printed(paper, orientation)
    pixel = 1 / DOTS_PER_MM
    for n, page in enumerate(demo_pages()):
        if page.language == "ur" or page.second_language == "ur" or n % 7 == 0:
            left, top, right, bottom = ink_box(rendered(pdf, n))
            inside = (
                left >= margin - pixel,
                top >= margin - pixel,
                right <= width - margin + pixel,
                bottom <= height - margin + pixel,
            )
            assert all(inside), (page.text, (left, top, right, bottom), margin)


def test_the_footer_sits_in_the_bottom_margin_and_reads_back():
    page = SignPage("میں ہزارہ ہوں", "ur", footer="I AM HAZARA · sign 2 of 3")
    width, height = page_size("a4", "landscape")
    layout = layout_sign(page, width, height, FONTS)
    assert layout.blocks[0].bottom < layout.footer.top
    pdf = signs_pdf([page], FONTS)
    image = rendered(pdf, 0)
    margin = min(width, height) * MARGIN
    band = image.crop((0, round((height - margin) * DOTS_PER_MM), image.width, image.height))
    _, _, _, bottom = ink_box(band)
    assert bottom <= margin - 3  # at least 3 mm clear of the paper's edge
    assert "sign 2 of 3" in " ".join(extracted_pages(pdf)[0].split())
