"""The web fonts are the subsets tools/subset_fonts.py makes: the CSS loads only those, each
with the unicode-range it was cut to, and the Urdu interface's letters are all in the
Nastaliq subset (a letter left out would be drawn in another font, mid-word)."""

import re

import pytest
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont

from tools.subset_fonts import FONTS, ROOT, SUBSETS, URDU, Subset

STYLES = [ROOT / "static" / "css" / "app.css", ROOT / "static" / "css" / "sign.css"]
FACE = re.compile(r"@font-face\s*\{([^}]*)\}")


def faces() -> list[tuple[str, str, str]]:
    """(stylesheet, src, unicode-range) of every @font-face."""
    found = []
    for sheet in STYLES:
        for body in FACE.findall(sheet.read_text()):
            src = re.search(r'url\("\.\./fonts/([^"]+)"\)', body).group(1)
            unicode_range = re.search(r"unicode-range:\s*([^;]+);", body)
            found.append((sheet.name, src, unicode_range and unicode_range.group(1)))
    return found


def test_pages_load_only_the_subsets_each_with_the_range_it_was_cut_to():
    made = {item.name: item.unicodes for item in SUBSETS}
    assert faces()
    for sheet, src, unicode_range in faces():
        assert src in made, f"{sheet} loads {src}, not a subset from tools/subset_fonts.py"
        assert unicode_range is not None, f"{sheet}: {src} has no unicode-range"
        assert unicode_range.replace(" ", "") == made[src], (sheet, src)
        assert (FONTS / src).is_file()


def test_every_letter_of_the_urdu_interface_is_in_the_nastaliq_subset():
    with (ROOT / "campaign" / "translations" / "ur" / "LC_MESSAGES" / "messages.po").open(
        "rb"
    ) as po:
        catalog = read_po(po)
    letters = set()
    for message in catalog:
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        letters |= {c for text in texts if text for c in text if "\u0600" <= c <= "\u06ff"}
    assert len(letters) > 30
    kept = set(Subset("", "", URDU).ranges())
    cmap = TTFont(FONTS / "NotoNastaliqUrdu-Regular.ttf").getBestCmap()
    assert sorted(c for c in letters if ord(c) not in kept) == []
    assert sorted(c for c in letters if ord(c) not in cmap) == []


@pytest.mark.parametrize("item", SUBSETS, ids=lambda item: item.name)
def test_each_committed_subset_has_the_characters_of_its_range(item):
    pytest.importorskip("brotli", reason="reading WOFF2 needs the brotli package")
    source = set(TTFont(FONTS / item.source).getBestCmap())
    subset = set(TTFont(FONTS / item.name).getBestCmap())
    assert subset == source & set(item.ranges())
