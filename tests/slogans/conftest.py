import pytest

from campaign.extensions import db
from campaign.models import SloganKind
from campaign.slogans.service import SloganDetails, add_slogan
from tests.groups.conftest import fill_group, make_group, volunteer  # noqa: F401  (fixtures)

SLOGANS = [
    ("I AM HAZARA", "en", "identity", "i-am"),
    ("WHY DO YOU WANT TO KILL ME?", "en", "question", "kill-me"),
    ("WHY DO YOU WANT TO KILL US?", "en", "question", "kill-us"),
    ("ANSWER PLEASE", "en", "call", "answer"),
    ("من هزاره هستم", "fa", "identity", "i-am"),
    ("چرا می‌خواهید مرا بکشید؟", "fa", "question", "kill-me"),
    ("لطفاً جواب دهید", "fa", "call", "answer"),
]


@pytest.fixture
def with_bank(app):
    """Give a campaign the slogans above (its languages become en and fa)."""

    def add(campaign):
        campaign.languages = "en fa"
        admin = campaign.admins[0]
        for text, language, kind, theme in SLOGANS:
            add_slogan(campaign, admin, SloganDetails(text, language, SloganKind(kind), theme))
        db.session.commit()
        return campaign

    return add
