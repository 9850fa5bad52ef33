"""The sign generator on its own: slogans in, signs out."""

import pytest

from campaign.slogans.generate import (
    BankSlogan,
    TemplateError,
    check_template,
    fill,
    generate_signs,
)

VALUES = {"city": "Quetta", "country": "Pakistan", "venue": "Press Club", "campaign": "I AM HAZARA"}


def bank(extra=()):
    slogans = [
        BankSlogan(1, "I AM HAZARA", "en", "identity", "i-am"),
        BankSlogan(2, "{city} STANDS WITH THE HAZARAS", "en", "identity", "city"),
        BankSlogan(3, "WHY DO YOU WANT TO KILL ME?", "en", "question", "kill-me"),
        BankSlogan(4, "WHY DO YOU WANT TO KILL US?", "en", "question", "kill-us"),
        BankSlogan(5, "WHY ARE YOU WIPING US OFF THIS EARTH?", "en", "question", "wipe"),
        BankSlogan(6, "ANSWER PLEASE", "en", "call", "answer"),
        BankSlogan(7, "TELL THE WORLD WHY WE CANNOT LIVE", "en", "call", "tell"),
        BankSlogan(11, "من هزاره هستم", "fa", "identity", "i-am"),
        BankSlogan(13, "چرا می‌خواهید مرا بکشید؟", "fa", "question", "kill-me"),
        BankSlogan(16, "لطفاً جواب دهید", "fa", "call", "answer"),
    ]
    return [*slogans, *extra]


def signs(size, seed=1, **kwargs):
    kwargs.setdefault("language", "en")
    return generate_signs(bank(), size, seed=seed, values=VALUES, **kwargs)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7])
def test_a_set_reads_identity_first_questions_then_the_call(size):
    kinds = [s.kind for s in signs(size)]
    assert len(kinds) == size
    assert kinds[0] == "identity"
    if size >= 2:
        assert kinds[-1] == "call"
    assert kinds == sorted(kinds, key=["identity", "question", "call"].index)
    assert [s.number for s in signs(size)] == list(range(1, size + 1))


def test_three_people_hold_the_campaigns_message():
    assert [s.kind for s in signs(3)] == ["identity", "question", "call"]


def test_the_same_seed_gives_the_same_set_and_other_seeds_differ():
    assert signs(5, seed=7) == signs(5, seed=7)
    sets = {tuple(s.text for s in signs(3, seed=seed)) for seed in range(40)}
    assert len(sets) > 3


def test_no_repeats_while_the_bank_has_enough():
    for seed in range(30):
        texts = [s.text for s in signs(7, seed=seed)]  # 7 English slogans in the bank
        assert len(set(texts)) == 7, texts
    texts = [s.text for s in signs(9)]  # more people than slogans: repeats, never a gap
    assert len(texts) == 9 and len(set(texts)) == 7


def test_placeholders_are_filled_for_the_event():
    texts = set()
    for seed in range(40):
        texts |= {s.text for s in signs(7, seed=seed)}
    assert "QUETTA STANDS WITH THE HAZARAS" in texts
    assert not any("{" in text for text in texts)
    assert fill("{campaign} in {country}, {venue}", VALUES) == "I AM HAZARA in Pakistan, Press Club"
    assert fill("{{city}} is literal", VALUES) == "{city} is literal"


@pytest.mark.parametrize(
    ("template", "filled"),
    [
        ("{city} STANDS WITH THE HAZARAS", "QUETTA STANDS WITH THE HAZARAS"),
        ("WE ARE {campaign} IN {country}!", "WE ARE I AM HAZARA IN PAKISTAN!"),
        ("{city} stands with the Hazaras", "Quetta stands with the Hazaras"),
        ("{city} در کنار هزاره‌ها ایستاده است", "Quetta در کنار هزاره‌ها ایستاده است"),
        ("{city}", "Quetta"),  # nothing of its own to go by
    ],
)
def test_a_template_in_capitals_gets_its_values_in_capitals(template, filled):
    assert fill(template, VALUES) == filled


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{town} STANDS WITH US", "unknown_placeholder"),
        ("{city STANDS", "unbalanced_brace"),
        ("STANDS}", "unbalanced_brace"),
        ("{city!r}", "unknown_placeholder"),
        ("{city:>10}", "unknown_placeholder"),
        ("{0}", "unknown_placeholder"),
        ("   ", "empty"),
        ("x" * 201, "too_long"),
    ],
)
def test_bad_templates_are_refused(text, code):
    with pytest.raises(TemplateError) as error:
        check_template(text)
    assert error.value.code == code


def test_good_templates_pass():
    for text in ("I AM HAZARA", "{city} STANDS WITH THE HAZARAS", "{{literal}}", "{campaign}!"):
        check_template(text)


def test_bilingual_signs_pair_translations_by_theme():
    for seed in range(20):
        for sign in signs(3, seed=seed, second_language="fa"):
            translations = {
                "I AM HAZARA": "من هزاره هستم",
                "ANSWER PLEASE": "لطفاً جواب دهید",
                "WHY DO YOU WANT TO KILL ME?": "چرا می‌خواهید مرا بکشید؟",
            }
            if sign.text in translations:
                assert (sign.second_text, sign.second_language) == (translations[sign.text], "fa")
            else:  # no translation in the bank: one language only, never a different slogan
                assert (sign.second_text, sign.second_language) == ("", "")


def test_a_persian_set_and_a_missing_language_falls_back_to_the_campaign_name():
    persian = signs(3, language="fa")
    assert [s.language for s in persian] == ["fa", "fa", "fa"]
    assert persian[0].text == "من هزاره هستم"
    (only,) = generate_signs(bank(), 1, seed=1, language="de", values=VALUES)
    assert only.text == "I AM HAZARA"  # the {campaign} fallback


def test_adding_a_slogan_moves_few_existing_sets():
    before = {seed: signs(3, seed=seed) for seed in range(50)}
    extra = BankSlogan(99, "WHY?", "en", "question")
    after = {
        seed: generate_signs(bank([extra]), 3, seed=seed, language="en", values=VALUES)
        for seed in range(50)
    }
    unchanged = sum(before[seed] == after[seed] for seed in before)
    assert unchanged >= 25
    assert any("WHY?" in [s.text for s in after[seed]] for seed in after)


def test_the_demo_slogans_print_in_capitals():
    from campaign.dev.demo import DEMO_SLOGANS

    for _theme, _kind, english, _persian, _urdu in DEMO_SLOGANS:
        text = fill(english, {"city": "London", "country": "United Kingdom"})
        assert text == text.upper(), text
    assert fill(DEMO_SLOGANS[1][2], {"city": "London"}) == "LONDON STANDS WITH THE HAZARAS"
