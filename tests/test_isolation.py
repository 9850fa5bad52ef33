"""On Persian and Urdu pages every inserted value is isolated, so a Latin name cannot carry
the punctuation around it to the wrong side ("London ,", "Parliament Square · ·"), and
lists use the language's own comma."""


def test_places_are_isolated_and_listed_with_the_readers_comma(client, make_event):
    event = make_event(venue_name="Parliament Square", city="London", address="")
    client.get("/language/fa")
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert "<bdi>Parliament Square</bdi>" in page
    assert "<bdi>London</bdi>،\u200f <bdi>" in page  # London, then the country, Persian comma
    assert "London ," not in page and "London," not in page
    assert '<bdi dir="ltr">UTC</bdi>' in page or '<bdi dir="ltr">Europe/' in page


def test_values_inside_persian_sentences_are_isolated(client, make_campaign, make_event):
    campaign = make_campaign(name="I AM HAZARA")
    event = make_event(campaign=campaign)
    client.get("/language/fa")
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert "\u2068I AM HAZARA\u2069" in page  # "Subscribe to all … events"
    client.get("/language/en")
    english = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert "\u2068" not in english  # left-to-right pages are left alone
