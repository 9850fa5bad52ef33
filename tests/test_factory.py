import os
import stat
import subprocess
import sys

import pytest
from sqlalchemy import text

from campaign import create_app
from campaign.config import database_url_from_env, load_or_create_secret_key
from campaign.extensions import db


def test_test_config_is_used(app):
    assert app.testing
    assert app.config["SECRET_KEY"] == "test-secret-key"


def test_missing_secret_key_is_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    first = create_app()
    second = create_app()
    key_file = tmp_path / "instance" / "secret_key"
    assert len(first.config["SECRET_KEY"]) >= 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_instance_config_py_overrides_defaults(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'from-instance'\nMAX_CONTENT_LENGTH = 1234\n")
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(instance))
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-instance"
    assert app.config["MAX_CONTENT_LENGTH"] == 1234


def test_default_database_is_sqlite_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app()
    expected = f"sqlite:///{tmp_path / 'instance' / 'campaign.sqlite3'}"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_database_url_uses_psycopg_for_postgresql():
    assert database_url_from_env("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert database_url_from_env("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert database_url_from_env("sqlite:///x.db") == "sqlite:///x.db"


def test_secret_key_file_is_reused(tmp_path):
    key = load_or_create_secret_key(str(tmp_path))
    assert load_or_create_secret_key(str(tmp_path)) == key


def test_importing_the_package_has_no_side_effects(tmp_path):
    instance = tmp_path / "not-created"
    env = {**os.environ, "CAMPAIGN_INSTANCE_PATH": str(instance)}
    subprocess.run([sys.executable, "-c", "import campaign, campaign.models"], env=env, check=True)
    assert not instance.exists()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
