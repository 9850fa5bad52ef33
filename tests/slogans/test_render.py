"""Printable signs read back: pages, sizes, text, fonts, and Persian in logical order."""

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from campaign.slogans.render import (
    MARGIN,
    PT,
    SignPage,
    layout_sign,
    page_size,
    sign_svg,
    signs_pdf,
)

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
PERSIAN = "چرا می‌خواهید مرا بکشید؟"
URDU = "میں ہزارہ ہوں"


def read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def fonts_of(page) -> set[str]:
    return {str(f.get_object()["/BaseFont"]) for f in page["/Resources"]["/Font"].values()}


def mm(points: float) -> float:
    return float(points) * PT


@pytest.mark.parametrize(
    ("paper", "orientation", "size"),
    [
        ("a4", "landscape", (297, 210)),
        ("a4", "portrait", (210, 297)),
        ("a3", "landscape", (420, 297)),
        ("letter", "portrait", (215.9, 279.4)),
        ("letter", "landscape", (279.4, 215.9)),
    ],
)
def test_one_page_per_sign_at_the_asked_size(paper, orientation, size):
    pages = [SignPage("I AM HAZARA", "en"), SignPage("ANSWER PLEASE", "en")]
    reader = read(signs_pdf(pages, FONTS, paper=paper, orientation=orientation))
    assert len(reader.pages) == 2
    for page in reader.pages:
        width, height = mm(page.mediabox.width), mm(page.mediabox.height)
        assert (round(width, 1), round(height, 1)) == size


def test_the_text_is_in_the_pdf_and_black_on_white():
    pages = [
        SignPage("I AM HAZARA", "en", footer="I AM HAZARA · sign 1 of 2"),
        SignPage("WHY DO YOU WANT TO KILL ME?", "en"),
    ]
    reader = read(signs_pdf(pages, FONTS))
    texts = [" ".join(p.extract_text().split()) for p in reader.pages]
    assert "I AM HAZARA" in texts[0] and "sign 1 of 2" in texts[0]
    assert "WHY DO YOU WANT TO KILL ME?" in texts[1]
    content = reader.pages[0].get_contents().get_data()
    # No colour is ever set: PDF's default, black text on the white page.
    assert b" rg" not in content and b" RG" not in content and b" k\n" not in content


def test_text_fills_the_sign_and_never_breaks_inside_a_word():
    width, height = page_size("a4", "landscape")
    short = layout_sign(SignPage("HAZARA", "en"), width, height, FONTS)
    long = layout_sign(
        SignPage("WHY ARE YOU WIPING US OFF THE FACE OF THIS EARTH?", "en"), width, height, FONTS
    )
    assert short.blocks[0].size > 150  # points: one word, huge
    assert 40 < long.blocks[0].size < short.blocks[0].size
    words = ["WHY", "ARE", "YOU", "WIPING", "US", "OFF", "THE", "FACE", "OF", "THIS", "EARTH?"]
    assert [w for line in long.blocks[0].lines for w in line.split()] == words
    for block in (short.blocks[0], long.blocks[0]):
        margin = min(width, height) * MARGIN
        assert block.top >= margin - 0.01  # the ink's top and bottom, inside the margins
        assert block.bottom <= height - margin + 0.01


def test_a_portrait_sign_wraps_more():
    text = "WHY DO YOU WANT TO KILL US?"
    landscape = layout_sign(SignPage(text, "en"), *page_size("a4", "landscape"), FONTS)
    portrait = layout_sign(SignPage(text, "en"), *page_size("a4", "portrait"), FONTS)
    assert len(portrait.blocks[0].lines) > len(landscape.blocks[0].lines)


def test_persian_and_urdu_signs_embed_arabic_script_fonts():
    reader = read(
        signs_pdf([SignPage(PERSIAN, "fa"), SignPage(URDU, "ur"), SignPage("HAZARA", "en")], FONTS)
    )
    assert any("NotoNaskhArabic" in f for f in fonts_of(reader.pages[0]))
    assert any("NotoNastaliqUrdu" in f for f in fonts_of(reader.pages[1]))
    assert not any("Arabic" in f or "Urdu" in f for f in fonts_of(reader.pages[2]))


def test_persian_text_comes_out_in_logical_order():
    reader = read(signs_pdf([SignPage(PERSIAN, "fa")], FONTS))
    extracted = "".join(reader.pages[0].extract_text().split())
    assert extracted == "".join(PERSIAN.split())  # not reversed, not in presentation forms
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        result = subprocess.run(
            [pdftotext, "-", "-"],
            input=signs_pdf([SignPage(PERSIAN, "fa")], FONTS),
            capture_output=True,
            check=True,
        )
        cleaned = "".join(ch for ch in result.stdout.decode() if ch not in "\u202a\u202b\u202c")
        assert "".join(cleaned.split()) == "".join(PERSIAN.split())


def test_a_bilingual_sign_has_both_lines():
    page = SignPage("I AM HAZARA", "en", "من هزاره هستم", "fa")
    reader = read(signs_pdf([page], FONTS))
    text = "".join(reader.pages[0].extract_text().split())
    assert "IAMHAZARA" in text and "منهزارههستم" in text
    layout = layout_sign(page, *page_size("a4", "landscape"), FONTS)
    first, second = layout.blocks
    assert first.bottom < second.top


def test_the_preview_is_escaped_svg_laid_out_like_the_pdf():
    page = SignPage("<script>alert(1)</script> & {city}", "en", PERSIAN, "fa")
    layout = layout_sign(page, *page_size("a4", "landscape"), FONTS)
    svg = sign_svg(layout, 'Sign "1"')
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'aria-label="Sign &quot;1&quot;"' in svg
    assert 'direction="rtl"' in svg and 'lang="fa"' in svg
    assert svg.count("<text") == sum(len(b.lines) for b in layout.blocks)
