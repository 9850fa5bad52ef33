"""Compiled translations: an install that never compiled them (or compiled an older .po)
still serves Persian and Urdu, and everything built from a catalog (the campaign feed) is
keyed on its version, so a compile or a new translation is never hidden by a built copy."""

import logging
import os
import shutil
import time

import pytest
from icalendar import Calendar

from campaign import create_app, i18n
from campaign.extensions import babel
from tests.databases import app_config
from tests.helpers import IsolatedClient

SKIP_TO_CONTENT_FA = "رفتن به محتوای اصلی"
NEVER_ALONE_FA = "هرگز تنها نروید"


@pytest.fixture
def translations(tmp_path, monkeypatch):
    """A copy of the catalogs, used by the apps this test makes. Flask-Babel keeps the
    catalogs it loaded per process, by language only (one app per worker in production):
    emptied before, so these apps load their own, and after, so no other test sees them."""
    copy = tmp_path / "source-translations"
    shutil.copytree(i18n.TRANSLATIONS, copy)
    monkeypatch.setattr(i18n, "TRANSLATIONS", copy)
    babel.domain_instance.cache.clear()
    yield copy
    babel.domain_instance.cache.clear()


def make_app(database_url, instance, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(instance))
    made = create_app(app_config(database_url))
    made.test_client_class = IsolatedClient
    return made


def persian_page(made) -> str:
    return made.test_client().get("/", headers={"Accept-Language": "fa"}).get_data(as_text=True)


def test_an_install_without_compiled_catalogs_serves_persian(
    app, database_url, tmp_path, monkeypatch, translations, caplog
):
    for mo in translations.glob("*/LC_MESSAGES/messages.mo"):
        mo.unlink()
    caplog.set_level(logging.WARNING, logger="campaign.i18n")
    made = make_app(database_url, tmp_path / "fresh-instance", monkeypatch)
    assert SKIP_TO_CONTENT_FA in persian_page(made)
    compiled = tmp_path / "fresh-instance" / "translations"
    assert {p.parts[-3] for p in compiled.glob("*/LC_MESSAGES/messages.mo")} == {"fa", "ur"}
    assert made.config["BABEL_TRANSLATION_DIRECTORIES"] == str(compiled)
    assert "fa, ur" in caplog.text and "pybabel compile" in caplog.text
    assert not list(translations.glob("*/LC_MESSAGES/*.mo"))  # the source is left alone
    # The next start (another worker) uses what the first compiled.
    again = make_app(database_url, tmp_path / "fresh-instance", monkeypatch)
    assert again.config["CATALOG_VERSION"] == made.config["CATALOG_VERSION"]


def test_a_compiled_catalog_older_than_its_po_is_compiled_again(
    app, database_url, tmp_path, monkeypatch, translations
):
    po = translations / "fa" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace(SKIP_TO_CONTENT_FA, "پرش به محتوا"))
    later = time.time() + 60
    os.utime(po, (later, later))
    made = make_app(database_url, tmp_path / "instance-2", monkeypatch)
    page = persian_page(made)
    assert "پرش به محتوا" in page and SKIP_TO_CONTENT_FA not in page


def test_the_campaign_feed_changes_with_its_catalog(
    app, database_url, tmp_path, monkeypatch, translations, make_event
):
    event = make_event()
    url = f"/c/{event.campaign.slug}/calendar.ics"
    persian = {"Accept-Language": "fa"}
    instance = tmp_path / "shared-instance"  # one host: the built feeds on disk are shared
    first_app = make_app(database_url, instance, monkeypatch)
    first = first_app.test_client().get(url, headers=persian)
    assert first.status_code == 200
    assert NEVER_ALONE_FA in _description(first.data)

    po = translations / "fa" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace(NEVER_ALONE_FA, "هرگز و هرگز تنها نروید"))
    later = time.time() + 60
    os.utime(po, (later, later))
    babel.domain_instance.cache.clear()  # a restart: this process's catalogs are gone
    second_app = make_app(database_url, instance, monkeypatch)
    assert second_app.config["CATALOG_VERSION"] != first_app.config["CATALOG_VERSION"]
    second = second_app.test_client().get(url, headers=persian)
    assert second.headers["ETag"] != first.headers["ETag"]
    assert "هرگز و هرگز تنها نروید" in _description(second.data)
    etag = {"If-None-Match": first.headers["ETag"], **persian}
    assert second_app.test_client().get(url, headers=etag).status_code == 200


def _description(body: bytes) -> str:
    (vevent,) = Calendar.from_ical(body).walk("VEVENT")
    return str(vevent["DESCRIPTION"])
