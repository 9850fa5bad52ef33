"""Web fonts for the pages: the vendored Noto TTFs cut to one script each, as WOFF2.

The PDF exports keep using the whole TTFs in static/fonts/; web pages load only these
subsets, each with the same ``unicode-range`` in the CSS (static/css/app.css, sign.css), so
a page downloads only the scripts it shows. Run from the checkout after changing a font or
a range below, and commit what it writes:

    .venv/bin/python tools/subset_fonts.py

WOFF2 needs the ``brotli`` package beside fontTools (``pip install brotli``).
"""

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "static" / "fonts"

#: What a line of Arabic script needs besides its letters: spaces, full stops, guillemets,
#: dashes, quotes, the bidi controls and the isolates that wrap inserted values.
ARABIC_COMMON = (
    "U+0020-0021,U+0028-0029,U+002E,U+003A,U+00A0,U+00AB,U+00BB,U+200C-200F,U+2010-2027,U+2066-2069"
)
#: Persian, Dari, Urdu, Arabic and Pashto letters, digits and signs; the presentation forms
#: for text that arrives already shaped.
ARABIC = "U+0600-06FF,U+0750-077F,U+FB50-FDFF,U+FE70-FEFF," + ARABIC_COMMON
#: Urdu's own letters, digits and signs: Nastaliq is used for Urdu only, and its many
#: contextual forms make every letter left out worth a few kilobytes.
URDU = (
    "U+060C,U+061B,U+061F,U+0621-063A,U+0640-0655,U+0670,U+0679,U+067E,U+0686,U+0688,U+0691,"
    "U+0698,U+06A9,U+06AF,U+06BA,U+06BE,U+06C0-06C3,U+06CC,U+06D2-06D4,U+06F0-06F9," + ARABIC_COMMON
)
#: Latin with the accented letters of Western European languages, and the usual
#: punctuation and symbols.
LATIN = (
    "U+0000-00FF,U+0100-017F,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,"
    "U+2000-206F,U+2074,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD"
)
CYRILLIC_GREEK = "U+0370-03FF,U+0400-04FF"


@dataclass(frozen=True)
class Subset:
    source: str  # a TTF in static/fonts
    name: str  # the WOFF2 written beside it
    unicodes: str  # the CSS unicode-range of its @font-face

    def ranges(self) -> list[int]:
        codepoints = []
        for part in self.unicodes.split(","):
            first, _, last = part.removeprefix("U+").partition("-")
            codepoints.extend(range(int(first, 16), int(last or first, 16) + 1))
        return codepoints


SUBSETS = (
    # Signs (previews on member pages, the full-screen sign): bold, one file per script.
    Subset("NotoSans-Bold.ttf", "NotoSans-Bold-latin.woff2", LATIN),
    Subset("NotoSans-Bold.ttf", "NotoSans-Bold-cyrillic-greek.woff2", CYRILLIC_GREEK),
    Subset("NotoNaskhArabic-Bold.ttf", "NotoNaskhArabic-Bold-arabic.woff2", ARABIC),
    Subset("NotoNastaliqUrdu-Bold.ttf", "NotoNastaliqUrdu-Bold-urdu.woff2", URDU),
    # The Urdu interface: Nastaliq for the text of every page in Urdu.
    Subset("NotoNastaliqUrdu-Regular.ttf", "NotoNastaliqUrdu-Regular-urdu.woff2", URDU),
)


def make(item: Subset, fonts: Path) -> Path:
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # every shaping feature: joining, ligatures, marks
    options.name_IDs = ["*"]  # keeps the copyright and licence (OFL) records
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["DSIG"]
    font = TTFont(fonts / item.source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=item.ranges())
    subsetter.subset(font)
    target = fonts / item.name
    font.flavor = "woff2"
    font.save(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fonts", type=Path, default=FONTS, help="folder of the TTFs")
    args = parser.parse_args(argv)
    try:
        import brotli  # noqa: F401
    except ImportError:
        print("WOFF2 needs the brotli package: pip install brotli", file=sys.stderr)
        return 1
    for item in SUBSETS:
        target = make(item, args.fonts)
        source = args.fonts / item.source
        print(
            f"{target.name}: {target.stat().st_size // 1024} KB"
            f" (from {item.source}, {source.stat().st_size // 1024} KB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
