"""Configuration: defaults here, then environment variables, then ``instance/config.py``."""

import os
import secrets
from pathlib import Path


def database_url_from_env(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given the way hosting platforms write them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def defaults(instance_path: str) -> dict:
    return {
        **_database_defaults(instance_path),
        **_security_defaults(),
        **_rate_limit_defaults(),
        **_page_defaults(),
        **_messaging_defaults(instance_path),
    }


def _database_defaults(instance_path: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(instance_path) / 'campaign.sqlite3'}",
        #: hide_parameters: SQL errors name no values (names, meeting points) in logs.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        #: Milliseconds a SQLite writer waits for the lock before giving up (then 503).
        "SQLITE_BUSY_TIMEOUT_MS": 5000,
        #: Bytes the SQLite write-ahead log is cut back to when it restarts.
        "SQLITE_JOURNAL_SIZE_LIMIT": 1024 * 1024,
        #: PostgreSQL: how long a statement may wait for a row lock, and run at all, before
        #: the request is answered 503 "busy, try again" (below gunicorn's 30 s timeout).
        "DATABASE_LOCK_TIMEOUT_MS": 5000,
        "DATABASE_STATEMENT_TIMEOUT_MS": 20000,
        #: Seconds a "busy, try again" answer (503) asks the client to wait.
        "RETRY_AFTER_SECONDS": 10,
    }


def _security_defaults() -> dict:
    return {
        #: Permissions no file or folder the app's process creates may give (group and
        #: others: none), see campaign.instance. None leaves the process's umask alone, e.g.
        #: in a host process embedding the app; the instance folder, database and keys
        #: are created private either way.
        "PRIVATE_FILES_UMASK": 0o077,
        #: Argon2id cost (argon2-cffi's RFC 9106 low-memory profile: 64 MiB, 3 passes).
        "PASSWORD_HASH_PARAMS": {"time_cost": 3, "memory_cost": 65536, "parallelism": 4},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        #: None: Secure when PREFERRED_URL_SCHEME is "https" (production behind HTTPS).
        "SESSION_COOKIE_SECURE": None,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        #: How many proxies in front set X-Forwarded-For/-Proto/-Host (0: none trusted).
        "PROXY_FIX_HOPS": 0,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
    }


def _rate_limit_defaults() -> dict:
    return {
        #: Rate limits (Flask-Limiter). memory:// counts in one process: gunicorn.conf.py then
        #: runs one worker and refuses several. For several workers or hosts, point this at
        #: Redis, e.g. redis://localhost:6379/0.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_SIGN_IN": "10 per minute;40 per hour",
        "RATELIMIT_REGISTER": "5 per hour",
        "RATELIMIT_JOIN": "10 per minute;60 per hour",
        "RATELIMIT_JOIN_CODES": "30 per minute;300 per hour",
        "RATELIMIT_SUGGEST": "10 per hour",
        #: Typing verification codes and asking for new ones or a lost link, per address.
        "RATELIMIT_VERIFY": "10 per minute;60 per hour",
    }


def _page_defaults() -> dict:
    return {
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        #: UI languages offered; a later issue adds their catalogs.
        "LANGUAGES": {"en": "English", "fa": "فارسی (دری)", "ur": "اردو"},
        #: Map pictures for the campaign page. Loaded only when a visitor asks for the map
        #: (each tile request shows the tile server the visitor's address). "" turns it off.
        "MAP_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "MAP_ATTRIBUTION": "© OpenStreetMap contributors",
        #: How often an open member page asks whether its group's state changed.
        "MEMBER_PAGE_POLL_SECONDS": 20,
    }


def _messaging_defaults(instance_path: str) -> dict:
    return {
        #: Minutes an unverified membership holds its seat before it is released.
        "VERIFY_HOLD_MINUTES": 15,
        #: Minutes a verification code works (at most the hold).
        "VERIFY_CODE_MINUTES": 15,
        #: Verification codes a campaign may send by SMS per UTC day (a campaign may set
        #: its own): caps SMS pumping, where a bot asks for codes to costly numbers.
        "SMS_DAILY_BUDGET": 500,
        #: Email over SMTP; no MAIL_SERVER: messages go to the console transport (the log).
        "MAIL_SERVER": "",
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": "",
        "MAIL_PASSWORD": "",  # nosec B105: unset by default, set by the deployment
        "MAIL_DEFAULT_SENDER": "campaign@localhost",
        #: Kannel's HTTP sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms; none: the
        #: console transport.
        "SMS_GATEWAY_URL": "",
        "SMS_GATEWAY_USERNAME": "",
        "SMS_GATEWAY_PASSWORD": "",  # nosec B105: unset by default
        "SMS_SENDER": "",
        #: The secret Kannel's sms-service adds to the inbound URL; none: no inbound SMS.
        "SMS_INBOUND_SECRET": "",  # nosec B105: unset: no inbound SMS
        #: Huey's storage: SQLite under instance/ by default; redis://… for several hosts.
        "QUEUE_URL": f"sqlite:///{Path(instance_path) / 'queue.sqlite3'}",
        #: The console transport prints messages (codes, member links) to the log: refused
        #: when PREFERRED_URL_SCHEME is https unless this is set.
        "MESSAGES_CONSOLE_ALLOWED": False,
        #: Where the site is, for links in messages sent outside a request (the queue).
        "PUBLIC_URL": "",
    }


MESSAGING_SETTINGS = (
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "SMS_GATEWAY_URL",
    "SMS_GATEWAY_USERNAME",
    "SMS_GATEWAY_PASSWORD",
    "SMS_SENDER",
    "SMS_INBOUND_SECRET",
    "QUEUE_URL",
    "PUBLIC_URL",
)


def _setting(name: str, value: str):
    if name == "MAIL_PORT":
        return int(value)
    if name == "MAIL_USE_TLS":
        return value.strip().lower() in ("1", "true", "yes", "on")
    return value


def from_environment() -> dict:
    config = {}
    if os.environ.get("SECRET_KEY"):
        config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = database_url_from_env(os.environ["DATABASE_URL"])
    # Several hosts must share these: the keys come from the environment there.
    for name in ("CONTACT_HASH_KEY", "CONTACT_ENCRYPTION_KEYS"):
        if os.environ.get(name):
            config[name] = os.environ[name]
    for name in ("SERVER_NAME", "PREFERRED_URL_SCHEME", "RATELIMIT_STORAGE_URI"):
        if os.environ.get(name):
            config[name] = os.environ[name]
    for name in MESSAGING_SETTINGS:
        if os.environ.get(name):
            config[name] = _setting(name, os.environ[name])
    if os.environ.get("PROXY_FIX_HOPS"):
        config["PROXY_FIX_HOPS"] = int(os.environ["PROXY_FIX_HOPS"])
    return config


def load_or_create_secret_key(
    instance_path: str, name: str = "secret_key", generate=lambda: secrets.token_hex(32)
) -> str:
    """Read ``instance/<name>``, generating it once (mode 0600) when missing."""
    path = Path(instance_path) / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key
