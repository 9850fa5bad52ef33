"""The catalogs keep to docs/glossary.md: no word its "never" column names comes back, and
every run of Latin letters or digits inside a Persian or Urdu message is isolated, so a
right-to-left line cannot reverse "+44 20 7946 0000"."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%")
ISOLATED = re.compile("\u2066[^\u2069]*\u2069")


def _catalog(language: str):
    path = ROOT / "campaign" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as catalog:
        return read_po(catalog)


def _strings(language: str):
    for message in _catalog(language):
        if not message.id:
            continue
        values = message.string if isinstance(message.string, tuple) else (message.string,)
        key = message.id if isinstance(message.id, str) else message.id[0]
        for value in values:
            yield key, value or ""


def _never() -> dict[str, list[str]]:
    """language → the words the glossary's "never" column forbids in it."""
    table = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    never: dict[str, list[str]] = {"fa": [], "ur": []}
    for row in table.splitlines():
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if len(cells) == 5 and cells[4] and ":" in cells[4]:
            language, rest = cells[4].split(":", 1)
            if language.strip() in never:  # "ur slogans: …" is about the demo's slogans
                word = rest.split(" (")[0].strip()
                never[language.strip()].append(word.replace("%(n)d ", ""))
    return never


@pytest.mark.parametrize("language", ["fa", "ur"])
def test_no_word_the_glossary_forbids(language):
    words = _never()[language]
    assert words, "the glossary lists words to avoid"
    found = [(key, word) for key, value in _strings(language) for word in words if word in value]
    assert found == []


@pytest.mark.parametrize("language", ["fa", "ur"])
def test_latin_and_digits_inside_translations_are_isolated(language):
    bare = []
    for key, value in _strings(language):
        text = ISOLATED.sub("", PLACEHOLDER.sub("", value))
        if re.search(r"[A-Za-z0-9]", text):
            bare.append((key, value))
    assert bare == []
