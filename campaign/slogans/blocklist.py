"""Words a volunteer's suggestion may not contain: insults, slurs, calls to violence."""

import re
import unicodedata
from functools import cache
from pathlib import Path

#: Digits and signs people use to dodge filters, read back as letters.
LOOKALIKES = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
#: Arabic-script letters written with different code points in different languages,
#: folded to one, and the zero-width joiners dropped.
ARABIC_FOLDS = str.maketrans(
    {
        "\u064a": "\u06cc",  # Arabic yeh → Persian yeh
        "\u0643": "\u06a9",  # Arabic kaf → keheh
        "\u06c1": "\u0647",  # Urdu heh goal → heh
        "\u06d5": "\u0647",  # ae → heh
        "\u06be": "\u0647",  # heh doachashmee → heh
        "\u200c": "",  # zero-width non-joiner
        "\u200d": "",  # zero-width joiner
    }
)
WORD = re.compile(r"\w+")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = unicodedata.normalize("NFC", text).translate(ARABIC_FOLDS).translate(LOOKALIKES)
    text = re.sub(r"(\w)\1{2,}", r"\1", text)  # "fuuuck" → "fuck"
    return " ".join(WORD.findall(text))


@cache
def _blocked() -> tuple[str, ...]:
    lines = (Path(__file__).with_name("blocklist.txt")).read_text(encoding="utf-8").splitlines()
    return tuple(_fold(line) for line in lines if line.strip() and not line.startswith("#"))


def blocked_word(text: str) -> str | None:
    """The first blocked word or phrase found in ``text`` (whole words only), or None."""
    folded = f" {_fold(text)} "
    squeezed = folded.replace(" ", "")
    for phrase in _blocked():
        if f" {phrase} " in folded:
            return phrase
        # "f u c k" and "f.u.c.k": letters spaced out to get past a word filter.
        if len(phrase) > 3 and " " not in phrase and _spaced_out(phrase, folded, squeezed):
            return phrase
    return None


def _spaced_out(phrase: str, folded: str, squeezed: str) -> bool:
    return phrase in squeezed and re.search(r"(?:\b\w\b ){3,}", folded + " ") is not None
