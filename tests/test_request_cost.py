"""Per-request costs that nothing else would show: a GET of the join form and a join POST
read no translation catalog from disk (Flask-WTF loads WTForms' own catalog, once per
request, as soon as a field without a label is made)."""

import pytest
from flask import request

from campaign.extensions import db


@pytest.fixture
def catalog_loads(app, monkeypatch):
    from flask_wtf import i18n

    loads = []
    real = i18n.support.Translations.load

    def counting(*args, **kwargs):
        if kwargs.get("domain") == "wtforms":
            loads.append(request.path)
        return real(*args, **kwargs)

    monkeypatch.setattr(i18n.support.Translations, "load", counting)
    return loads


def test_joining_reads_no_wtforms_catalog(app, client, make_event, catalog_loads):
    from tests.conftest import csrf_token

    event = make_event()
    ref = event.ref
    db.session.commit()
    form = {
        "csrf_token": csrf_token(client, f"/e/{ref}/join"),
        "display_name": "Ahmad",
        "contact": "+12015550199",
        "pledge": "y",
        "mode": "any",
    }
    assert client.post(f"/e/{ref}/join", data=form).status_code == 302
    assert catalog_loads == []
