"""Sign files stay quick to make, whatever the group and its slogans: text is shaped
(HarfBuzz, the slow part) a bounded number of times per sign, a file is made once per
worker, and the organiser's file of every sign is capped. Counts, never timings."""

import pytest
import uharfbuzz as hb

from campaign.extensions import db
from campaign.groups import service as groups
from campaign.models import SloganKind
from campaign.slogans import runs, service
from campaign.slogans import views as slogan_views
from campaign.slogans.render import MARGIN, SignPage, layout_sign, page_size
from campaign.slogans.service import SloganDetails, add_slogan
from tests.factories import volunteer
from tests.slogans.test_render import FONTS

URDU = "ہم سب ایک ہیں اور امن کے ساتھ کھڑے خاموش نہیں رہیں گے کیونکہ انصاف سب کا حق ہے"
URDU_WORDS = URDU.split(" ")


def long_urdu(n: int) -> str:
    """About 190 characters of Urdu, different for each n."""
    words = [URDU_WORDS[(n * 7 + i) % len(URDU_WORDS)] for i in range(60)]
    return " ".join(words)[:190].rsplit(" ", 1)[0]


@pytest.fixture
def shapings(monkeypatch):
    """Every HarfBuzz shaping: fpdf2's (drawing) and the layout's own (measuring)."""
    for cache in (runs.measure, runs.line_runs, layout_sign):
        cache.cache_clear()  # counted from cold
    calls = []
    real = hb.shape

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hb, "shape", counted)
    return calls


def test_laying_out_a_long_urdu_sign_shapes_each_word_about_once(shapings):
    width, height = page_size("a4", "landscape")
    for n in range(10):
        text = long_urdu(n)
        before = len(shapings)
        layout = layout_sign(SignPage(text, "ur", footer=f"sign {n}"), width, height, FONTS)
        # Each word once, a space, each chosen line once (and a margin): not once per size
        # tried and per letter, as fitting did by multi_cell (thousands per sign).
        assert len(shapings) - before <= len(text.split()) + 20
        (block,) = layout.blocks
        assert [w for line in block.lines for w in line.split()] == text.split()
        margin = min(width, height) * MARGIN
        assert block.bottom <= height - margin + 0.01
        assert block.size > 20  # still large enough to read from across a street


@pytest.fixture
def big_urdu_group(make_campaign, make_event):
    campaign = make_campaign()
    campaign.languages = "ur"
    admin = campaign.admins[0]
    for n, kind in enumerate([SloganKind.IDENTITY, SloganKind.QUESTION, SloganKind.CALL] * 6):
        add_slogan(campaign, admin, SloganDetails(long_urdu(n), "ur", kind, f"theme-{n}"))
    db.session.commit()
    event = make_event(campaign=campaign, max_group_size=16)
    first = groups.start_group(event, volunteer())
    for _ in range(15):
        groups.join_group(first.membership.group, volunteer())
    db.session.commit()
    return event, first.membership.group, first.token


def test_a_leaders_file_for_a_big_urdu_group_is_bounded_and_made_once(
    client, big_urdu_group, shapings
):
    _event, group, leader = big_urdu_group
    signs = service.group_signs(group)
    assert len(signs) == 16 and all(sign.language == "ur" for sign in signs)
    words = sum(len(sign.text.split()) for sign in signs)
    response = client.get(f"/me/{leader}/signs.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    # Measuring (each word once, each line once) and drawing (each line, the footer).
    assert len(shapings) <= 2 * words + 40 * len(signs)
    made = len(shapings)
    again = client.get(f"/me/{leader}/signs.pdf")
    assert again.data == response.data
    assert len(shapings) == made  # kept: nothing shaped again


def test_the_organisers_file_of_every_sign_is_capped(
    client, signed_in, big_urdu_group, monkeypatch
):
    event, _group, _leader = big_urdu_group
    monkeypatch.setattr(slogan_views, "MAX_SIGN_PAGES", 10)
    signed_in(event.organiser)
    response = client.get(f"/organise/events/{event.ref}/signs.pdf")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organise/events/{event.ref}/board"
    board = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This event has 16 signs, too many for one file (at most 10)" in board
