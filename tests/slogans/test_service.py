"""Slogan rules: the bank, moderation, the blocklist, and each group's set."""

import pytest
from sqlalchemy import select

from campaign.access import NotAllowed
from campaign.extensions import db
from campaign.groups import service as groups
from campaign.models import Slogan, SloganKind, SloganStatus
from campaign.slogans import service
from campaign.slogans.service import SloganDetails, SloganError
from tests.factories import volunteer


def details(text="ANSWER PLEASE", language="en", kind=SloganKind.CALL, theme=""):
    return SloganDetails(text, language, kind, theme)


def test_only_campaign_admins_change_the_bank(make_campaign, make_organiser):
    campaign = make_campaign()
    with pytest.raises(NotAllowed) as error:
        service.add_slogan(campaign, make_organiser(), details())
    assert error.value.code == "not_allowed"
    slogan = service.add_slogan(campaign, campaign.admins[0], details())
    assert slogan.status is SloganStatus.APPROVED


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"text": "{town} STANDS"}, "unknown_placeholder", "text"),
        ({"text": "{city STANDS"}, "unbalanced_brace", "text"),
        ({"text": "  "}, "empty", "text"),
        ({"language": "english"}, "bad_language", "language"),
        ({"language": "zz"}, "bad_language", "language"),
        ({"theme": "Not a theme!"}, "bad_theme", "theme"),
    ],
)
def test_bad_slogans_are_refused_when_saved(make_campaign, overrides, code, field):
    campaign = make_campaign()
    with pytest.raises(SloganError) as error:
        service.add_slogan(campaign, campaign.admins[0], details(**overrides))
    assert (error.value.code, error.value.field) == (code, field)


def test_duplicates_are_refused_and_edits_rechecked(make_campaign):
    campaign = make_campaign()
    admin = campaign.admins[0]
    slogan = service.add_slogan(campaign, admin, details("ANSWER PLEASE"))
    with pytest.raises(SloganError) as error:
        service.add_slogan(campaign, admin, details("answer   please"))
    assert error.value.code == "duplicate"
    with pytest.raises(SloganError) as error:
        service.update_slogan(slogan, admin, details("{nowhere}"))
    assert error.value.code == "unknown_placeholder"
    service.update_slogan(slogan, admin, details("{city} ASKS: ANSWER PLEASE", theme="answer"))
    assert (slogan.text, slogan.theme) == ("{city} ASKS: ANSWER PLEASE", "answer")


def _member(make_event, campaign):
    joined = groups.start_group(make_event(campaign=campaign), volunteer())
    db.session.commit()
    return joined.membership


def test_suggestion_waits_for_approval_then_appears_in_new_sets(
    make_campaign, make_event, make_group, with_bank
):
    campaign = with_bank(make_campaign())
    membership = make_group(make_event(campaign=campaign), 3).members[0]
    new = "WHY IS MY FAMILY NOT SAFE AT SCHOOL?"
    suggestion = service.suggest_slogan(membership, details(new, kind=SloganKind.QUESTION))
    db.session.commit()
    assert suggestion.status is SloganStatus.SUGGESTED
    assert suggestion.suggested_at_event_id == membership.event_id

    def texts_over_many_sets():
        seen = set()
        group = membership.group
        for seed in range(60):
            group.sign_seed = seed
            seen |= {s.text for s in service.group_signs(group)}
        db.session.rollback()
        return seen

    assert new not in texts_over_many_sets()
    service.review_slogan(suggestion, campaign.admins[0], SloganStatus.APPROVED)
    db.session.commit()
    assert new in texts_over_many_sets()
    service.review_slogan(suggestion, campaign.admins[0], SloganStatus.RETIRED)
    db.session.commit()
    assert new not in texts_over_many_sets()


@pytest.mark.parametrize(
    "text",
    ["F U C K THEM", "Death to them", "you b1tch", "مرگ بر آنها", "کثافت ها", "حرامزادہ"],
)
def test_the_blocklist_refuses_abuse_outright(make_campaign, make_event, with_bank, text):
    campaign = with_bank(make_campaign())
    campaign.languages = "en fa ur"
    db.session.commit()
    membership = _member(make_event, campaign)
    language = "en" if text.isascii() else ("ur" if text.endswith("ہ") else "fa")
    with pytest.raises(SloganError) as error:
        service.suggest_slogan(membership, details(text, language=language))
    assert error.value.code == "blocked"
    assert db.session.scalar(select(Slogan).where(Slogan.text == text)) is None


def test_a_suggestion_must_be_in_a_campaign_language(make_campaign, make_event, with_bank):
    campaign = with_bank(make_campaign())
    membership = _member(make_event, campaign)
    with pytest.raises(SloganError) as error:
        service.suggest_slogan(membership, details("ICH BIN HAZARA", language="de"))
    assert error.value.code == "bad_language"


def test_suggestions_per_event_are_capped(make_campaign, make_event, with_bank, monkeypatch):
    monkeypatch.setattr(service, "MAX_PENDING_SUGGESTIONS_PER_EVENT", 2)
    campaign = with_bank(make_campaign())
    membership = _member(make_event, campaign)
    for n in range(2):
        service.suggest_slogan(membership, details(f"WE ARE HERE {n}"))
    with pytest.raises(SloganError) as error:
        service.suggest_slogan(membership, details("WE ARE HERE AGAIN"))
    assert error.value.code == "too_many_suggestions"


def test_each_member_holds_a_different_sign_in_join_order(
    make_campaign, make_event, make_group, with_bank
):
    campaign = with_bank(make_campaign())
    group = make_group(make_event(campaign=campaign), 3)
    signs = service.group_signs(group)
    assert [s.kind for s in signs] == ["identity", "question", "call"]
    held = [service.member_sign(m) for m in group.members]
    assert held == signs
    assert service.group_signs(group) == signs  # printing twice: the same set


def test_the_leader_draws_a_new_set_in_other_languages(
    make_campaign, make_event, make_group, with_bank
):
    campaign = with_bank(make_campaign())
    group = make_group(make_event(campaign=campaign), 3)
    leader = next(m for m in group.members if m.is_leader)
    other = next(m for m in group.members if not m.is_leader)
    with pytest.raises(SloganError) as error:
        service.new_sign_set(other, "en")
    assert error.value.code == "not_leader"
    with pytest.raises(SloganError) as error:
        service.new_sign_set(leader, "de")
    assert error.value.code == "bad_language"
    seed = group.sign_seed
    service.new_sign_set(leader, "fa", "en")
    db.session.commit()
    assert group.sign_seed != seed
    signs = service.group_signs(group)
    assert [s.language for s in signs] == ["fa", "fa", "fa"]
    assert signs[0].text == "من هزاره هستم"
    assert (signs[0].second_text, signs[0].second_language) == ("I AM HAZARA", "en")


@pytest.mark.parametrize(
    "text",
    [
        "رافضی ها",
        "شیعه کافر",
        "شیعہ کافر",
        "کافر کافر، شیعہ کافر",
        "موش خور",
        "Shia kafir",
        "r4fidi",
        "هزاره‌کشی",
    ],
)
def test_anti_hazara_and_anti_shia_slurs_are_refused(text):
    from campaign.slogans.blocklist import blocked_word

    assert blocked_word(text) is not None


@pytest.mark.parametrize(
    "text",
    ["ما کافر نیستیم", "ہم کافر نہیں ہیں", "WE ARE NOT KAFIR", "من هزاره هستم", "شیعه هستم"],
)
def test_kafir_alone_and_our_own_slogans_pass(text):
    from campaign.slogans.blocklist import blocked_word

    assert blocked_word(text) is None
