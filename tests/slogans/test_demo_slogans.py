"""The demo's Urdu slogans say what the English ones say, as read in Pakistan."""

import re

from campaign.dev.demo import DEMO_SLOGANS


def urdu_slogans() -> list[str]:
    return [urdu for _theme, _kind, _english, _persian, urdu in DEMO_SLOGANS]


def test_hazara_names_the_people_not_the_region():
    """«ہزارہ» alone, as what one stands with, reads as the Hazara region of Khyber
    Pakhtunkhwa: the people are «ہزارہ برادری». ("میں ہزارہ ہوں", a person's identity,
    cannot mean the region.)"""
    for text in urdu_slogans():
        if text == "میں ہزارہ ہوں":
            continue
        words = text.split()
        for at, word in enumerate(words):
            if word == "ہزارہ":
                assert words[at + 1 : at + 2] == ["برادری"], text
    (city,) = [urdu for theme, *_, urdu in DEMO_SLOGANS if theme == "city-stands"]
    assert city == "{city} ہزارہ برادری کے ساتھ کھڑا ہے"


def test_killing_is_never_the_verb_that_also_means_beating():
    """«مارنا» (and «مار رہے») is also "to beat": the slogans ask why people are killed."""
    for text in urdu_slogans():
        assert "مار" not in text.split() and "مارنا" not in text, text
    killing = [urdu for theme, *_, urdu in DEMO_SLOGANS if theme.startswith(("kill", "our"))]
    assert len(killing) == 3
    assert all("قتل" in text for text in killing), killing


def test_latin_slogans_stay_in_capitals():
    for _theme, _kind, english, _persian, _urdu in DEMO_SLOGANS:
        words = re.sub(r"\{[a-z_]+\}", "", english)  # placeholders are lower case
        assert words == words.upper(), english
