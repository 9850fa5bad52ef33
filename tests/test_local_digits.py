"""Persian pages write every number in Persian digits: counts as well as dates (one digit
system per page); English and Urdu pages keep 0-9."""

import re

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"


def _main(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def test_counts_and_dates_share_the_persian_digits(client, make_campaign, make_event, make_group):
    campaign = make_campaign(name="Stand together")  # the data itself has no digits
    event = make_event(campaign=campaign, min_group_size=3, max_group_size=8, address="Main St")
    make_group(event, 2)
    client.get("/language/fa")
    main = _main(client.get(f"/e/{event.ref}").get_data(as_text=True))
    text = re.sub(r"<[^>]+>|&[a-z#0-9]+;", " ", main)
    text = re.sub(r"[\u2066][^\u2069]*[\u2069]", " ", text)  # isolated codes keep 0-9
    assert any(d in text for d in PERSIAN_DIGITS)
    western = re.findall(r"[0-9]+", text)
    assert western == [], western


def test_english_pages_keep_western_digits(client, make_event, make_group):
    event = make_event(min_group_size=3)
    make_group(event, 2)
    main = _main(client.get(f"/e/{event.ref}").get_data(as_text=True))
    assert not any(d in main for d in PERSIAN_DIGITS)
