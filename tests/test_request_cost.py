"""Costs that only the benchmarks would show: a join reads no translation catalog from disk
(Flask-WTF loads WTForms' own catalog, once per request, as soon as a field without a label
is made), and a new worker's threads compile a template once between them."""

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
    from tests.helpers import csrf_token

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


def test_threads_starting_together_compile_a_template_once(app, monkeypatch):
    """A new worker's threads all asking for the same page compile it once, not each."""
    import threading

    from jinja2 import Environment as JinjaEnvironment

    compiled = []
    real = JinjaEnvironment.compile

    def counting(self, source, name=None, *args, **kwargs):
        compiled.append(name)
        return real(self, source, name, *args, **kwargs)

    monkeypatch.setattr(JinjaEnvironment, "compile", counting)
    start = threading.Barrier(8)

    def first_use():
        start.wait()
        app.jinja_env.get_template("errors.html")

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert compiled.count("errors.html") == 1, compiled
