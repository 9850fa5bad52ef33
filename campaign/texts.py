"""The campaign's own words in the reader's language: its description and pledge, and an
event's description. Each is written in the campaign's first language, and may be written
in its other languages too; the reader gets their language, else the first one, always
with the language it is really in, so the page marks it (``lang``, ``dir``) and the browser
lays it out the right way round (an English pledge on a Persian page stays left to right).
"""

from dataclasses import dataclass

from flask_babel import get_locale

from campaign.i18n import text_direction
from campaign.models import Campaign, Event

#: The campaign texts that have translations.
CAMPAIGN_TEXTS = ("description", "pledge")


@dataclass(frozen=True)
class Localised:
    text: str
    language: str

    @property
    def direction(self) -> str:
        return text_direction(self.language)

    def __bool__(self) -> bool:
        return bool(self.text)

    def __str__(self) -> str:
        return self.text


def reader_language() -> str:
    return str(get_locale() or "en")


def _pick(campaign: Campaign, own: str, translations: dict, language: str | None) -> Localised:
    language = language or reader_language()
    for candidate in (language, language.split("-")[0]):
        text = (translations.get(candidate) or "").strip()
        if text and candidate != campaign.default_language:
            return Localised(text, candidate)
    return Localised(own, campaign.default_language)


def campaign_text(campaign: Campaign, name: str, language: str | None = None) -> Localised:
    """``campaign.description`` or ``.pledge`` in ``language`` (the reader's by default)."""
    if name not in CAMPAIGN_TEXTS:
        raise ValueError(f"not a campaign text: {name}")
    translations = {
        code: texts.get(name, "") for code, texts in (campaign.translations or {}).items()
    }
    return _pick(campaign, getattr(campaign, name), translations, language)


def event_description(event: Event, language: str | None = None) -> Localised:
    campaign = event.campaign
    return _pick(campaign, event.description, event.description_translations or {}, language)


def other_languages(campaign: Campaign) -> list[str]:
    """The campaign's languages after its first: those its texts may be translated into."""
    return campaign.language_list[1:]
