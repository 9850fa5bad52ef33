"""campaign: organise coordinated solidarity demonstrations in small, safe groups."""

import os

from flask import Flask
from sqlalchemy import event

from campaign import config as app_config
from campaign import crypto, instance, templating
from campaign.extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        # CAMPAIGN_INSTANCE_PATH puts the database, secrets and local config elsewhere.
        instance_path=os.environ.get("CAMPAIGN_INSTANCE_PATH") or os.path.join(ROOT, "instance"),
        instance_relative_config=True,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    app.jinja_environment = templating.CompileOnceEnvironment  # before anything uses it
    _configure(app, test_config)
    _init_extensions(app)
    _register_blueprints(app)

    from campaign import cli, errors, form_values, http, security, sessions
    from campaign.exports import fastpath
    from campaign.messaging import queue

    fastpath.install(app)  # before ProxyFix wraps the app, so it sees what Flask sees
    security.init_app(app)
    sessions.init_app(app)  # the session cookie encrypted: it carries member tokens
    errors.init_app(app)
    form_values.init_app(app)
    http.init_app(app)
    templating.init_app(app)
    queue.init_app(app)  # Huey: delivers messages after the commit that recorded them
    cli.register(app)
    return app


def _configure(app: Flask, test_config: dict | None) -> None:
    """Defaults, then the environment and instance/config.py (or the test mapping); then
    the private instance folder and the keys kept in it."""
    app.config.from_mapping(app_config.defaults(app.instance_path))
    if test_config is None:
        app.config.from_mapping(app_config.from_environment())
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    # Whatever engine options a deployment sets, SQL errors never print their values.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "hide_parameters": True,
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
    if app.config["PRIVATE_FILES_UMASK"] is not None:
        instance.restrict_umask(app.config["PRIVATE_FILES_UMASK"])
    instance.create_private_folder(app.instance_path)
    instance.create_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    for key, filename in (("SECRET_KEY", "secret_key"), ("CONTACT_HASH_KEY", "contact_hash_key")):
        if not app.config.get(key):
            app.config[key] = app_config.load_or_create_secret_key(app.instance_path, filename)
    if not app.config.get("CONTACT_ENCRYPTION_KEYS"):
        app.config["CONTACT_ENCRYPTION_KEYS"] = [
            app_config.load_or_create_secret_key(
                app.instance_path, "contact_encryption_key", generate=crypto.new_key
            )
        ]
    crypto.init_app(app)


def _init_extensions(app: Flask) -> None:
    from campaign import i18n, models, transactions  # noqa: F401  (models register their tables)

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(__file__), "migrations"),
        compare_type=True,
        render_as_batch=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.prepare_catalogs(app)  # compiles stale catalogs: before Flask-Babel reads them
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas(app))
                transactions.install_sqlite(engine, int(app.config["SQLITE_BUSY_TIMEOUT_MS"]))
            elif engine.dialect.name == "postgresql":
                event.listen(engine, "connect", _postgresql_timeouts(app))


def _sqlite_pragmas(app: Flask):
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    journal_limit = int(app.config["SQLITE_JOURNAL_SIZE_LIMIT"])

    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy issue BEGIN itself (campaign.transactions) instead of pysqlite's
        # deferred transactions, which cannot be upgraded safely under concurrency.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros (some SQLite builds leave them readable),
        # and the write-ahead log shrinks back when it restarts instead of keeping old pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA journal_size_limit={journal_limit}")
        cursor.close()

    return on_connect


def _postgresql_timeouts(app: Flask):
    lock_ms = int(app.config["DATABASE_LOCK_TIMEOUT_MS"])
    statement_ms = int(app.config["DATABASE_STATEMENT_TIMEOUT_MS"])

    def on_connect(dbapi_connection, _record):
        # A transaction that holds a row (an event's sign-up lock) must not stall every
        # worker: waiting for a lock or a statement ends with an error the app answers
        # with 503 "busy, try again", well before gunicorn's worker timeout.
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {lock_ms}")
            cursor.execute(f"SET statement_timeout = {statement_ms}")
        dbapi_connection.commit()

    return on_connect


def _register_blueprints(app: Flask) -> None:
    from campaign.accounts.views import bp as accounts_bp
    from campaign.campaigns.views import bp as campaigns_bp
    from campaign.events.views import bp as events_bp
    from campaign.exports.share_views import bp as share_bp
    from campaign.exports.views import bp as exports_bp
    from campaign.groups.board import bp as board_bp
    from campaign.groups.views import bp as groups_bp
    from campaign.i18n import bp as i18n_bp
    from campaign.messaging.sms_inbound import bp as sms_inbound_bp
    from campaign.slogans.views import bp as slogans_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(campaigns_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(i18n_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(board_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(share_bp)
    app.register_blueprint(slogans_bp)
    app.register_blueprint(sms_inbound_bp)
