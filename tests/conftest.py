"""Fixtures: an app on a fresh database, once on SQLite and once on PostgreSQL.

PostgreSQL runs when TEST_DATABASE_URL (or --postgresql-url) names a server whose user may
create databases; each test session makes its own database there and drops it at the end.
Under CI=true a missing PostgreSQL fails the run instead of skipping.
"""

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from campaign import create_app
from campaign.extensions import db

# Factories and helpers live in tests/factories.py and tests/helpers.py (plugins, below).
# The names marked F401 keep their old home here for tests that import them from here.
from tests.databases import (
    CHEAP_HASHES,  # noqa: F401
    Snapshot,
    app_config,
    empty_tables,
    migrate,
    postgresql_database,
)
from tests.databases import app_config as _config  # noqa: F401
from tests.factories import PASSWORD, Factory, event_details  # noqa: F401
from tests.helpers import (  # noqa: F401
    CSRF_PATTERN,
    IsolatedClient,
    count_queries,
    csrf_token,
    local_input,
    sign_in,
)

pytest_plugins = ["tests.factories", "tests.helpers", "tests.smtp_server"]

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "campaign" / "translations"


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the Persian and Urdu catalogs when stale, as ``make test`` does, so a bare
    ``pytest`` sees the same pages."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parts[-3])
        partial = mo.with_name(f"{mo.name}.{os.getpid()}")  # xdist workers may race here
        with partial.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=True)
        partial.replace(mo)


def pytest_addoption(parser):
    parser.addoption(
        "--postgresql-url",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="A PostgreSQL server URL; database tests then also run there.",
    )


# --- the checkout stays as it was ----------------------------------------------------------


def _checkout_files() -> set[str] | None:
    """The files git does not track in the checkout, ignored ones included (None outside
    a git checkout)."""
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return {
        line[3:]
        for line in result.stdout.splitlines()
        if line.startswith(("?? ", "!! "))
        and not line[3:].startswith(NOT_WRITTEN_BY_TESTS)
        and not line.endswith((".mo", ".pyc"))  # compiled_translations; bytecode
    }


#: Written by the tools, not by the tests.
NOT_WRITTEN_BY_TESTS = (".venv/", ".pytest_cache/", ".ruff_cache/", ".mypy_cache/")


def pytest_configure(config):
    """Before anything is collected: Hypothesis keeps its files (example constants, Unicode
    tables) in a temporary folder, not in ``.hypothesis/`` of the checkout; and the files
    git does not track are noted, for ``checkout_unchanged``."""
    import hypothesis.configuration

    home = Path(tempfile.mkdtemp(prefix="hypothesis-"))
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))
    hypothesis.configuration.set_hypothesis_home_dir(home)
    config.stash[CHECKOUT_FILES] = _checkout_files()


CHECKOUT_FILES = pytest.StashKey[set[str] | None]()


@pytest.fixture(scope="session", autouse=True)
def checkout_unchanged(request, tmp_path_factory):
    """No test writes into the checkout. An app made without an instance folder of its own
    gets this session's, never the checkout's ``instance/``. At the end, git must see no
    new file, ignored ones included."""
    os.environ.setdefault(
        "CAMPAIGN_INSTANCE_PATH", str(tmp_path_factory.mktemp("session") / "instance")
    )
    yield
    before, after = request.config.stash[CHECKOUT_FILES], _checkout_files()
    if before is not None and after - before:
        pytest.fail(f"the tests wrote into the checkout: {sorted(after - before)}", pytrace=False)


# --- databases ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgresql_server(request):
    url = request.config.getoption("--postgresql-url")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI=true but no TEST_DATABASE_URL: PostgreSQL tests cannot be skipped")
        pytest.skip("no PostgreSQL server (set TEST_DATABASE_URL)")
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_database(request, tmp_path_factory):
    """A database at the newest migration, made once per test session and backend."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        migrate(f"sqlite:///{path}")
        yield ("sqlite", path)
    else:
        server = request.getfixturevalue("postgresql_server")
        with postgresql_database(server) as url:
            migrate(url)
            yield ("postgresql", url)


@pytest.fixture
def database_url(migrated_database, tmp_path):
    backend, where = migrated_database
    if backend == "sqlite":
        path = tmp_path / "campaign.sqlite3"
        shutil.copyfile(where, path)
        yield f"sqlite:///{path}"
    else:
        yield where
        app = create_app(app_config(where))
        with app.app_context():
            empty_tables()
            db.engine.dispose()


@dataclass
class BuiltWorld:
    """A world made once (``build_world``), copied into each test's fresh database."""

    snapshot: Snapshot
    values: object

    def copy(self):
        """Write the world into this test's database; returns what its builder returned."""
        self.snapshot.restore()
        return self.values


@pytest.fixture(scope="module")
def build_world(migrated_database, tmp_path_factory):
    """``build_world(build)``: run ``build(factory)`` once, in a database of its own, and
    keep every row it made. For a world made once per module and backend:

        @pytest.fixture(scope="module")
        def built_world(build_world):
            return build_world(_build)

        @pytest.fixture
        def world(app, built_world):
            return built_world.copy()  # this test's own copy, which it may change

    ``build`` returns plain values (refs, ids, emails), not objects of its session.
    """

    def build(make) -> BuiltWorld:
        backend, where = migrated_database
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("world") / "world.sqlite3"
            shutil.copyfile(where, path)
            url = f"sqlite:///{path}"
        else:
            url = where  # empty between tests; emptied again below
        app = create_app(app_config(url))
        try:
            with app.app_context():
                values = make(Factory())
                db.session.commit()
                snapshot = Snapshot.take()
                if backend == "postgresql":
                    empty_tables()
                db.session.remove()
        finally:
            with app.app_context():
                db.engine.dispose()
        return BuiltWorld(snapshot, values)

    return build


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(app_config(database_url))
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
