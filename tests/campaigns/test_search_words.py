"""A search of many words is cut to the first few, with a message, never a 500: each word
is a match on five columns of every event, so a long list of short words is expensive."""

from campaign.campaigns.search import MAX_WORDS, parse_search
from tests.helpers import count_queries


def test_many_words_are_cut_with_a_message(client, make_campaign, make_event):
    campaign = make_campaign()
    make_event(campaign=campaign, title="Vigil at the town hall")
    words = [f"w{n}" for n in range(40)]  # 40 words in fewer than 100 characters
    query = "+".join(["vigil", *words])
    with count_queries() as statements:
        response = client.get(f"/c/{campaign.slug}?q={query}")
    assert response.status_code == 200
    assert "That search is too long: it was shortened." in response.get_data(as_text=True)
    likes = max(statement.upper().count("LIKE") for statement in statements)
    assert likes <= 5 * MAX_WORDS


def test_a_word_said_twice_is_searched_once():
    params = parse_search({"q": "hazara HAZARA hazara quetta"})
    assert params.text == "hazara HAZARA quetta"
    assert params.problems == ()
    assert len(parse_search({"q": " ".join("abcdefghijkl")}).text.split()) == MAX_WORDS
