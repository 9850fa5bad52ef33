"""Deliverers and consumers in processes of their own, as in production: an instance
folder (in a temporary directory) whose config.py points them at the test's database
and SMTP server."""

import os
import subprocess
import sys
from pathlib import Path

from tests.databases import CHEAP_HASHES, CONTACT_ENCRYPTION_KEY, CONTACT_HASH_KEY

ROOT = Path(__file__).resolve().parents[2]


def instance_env(folder: Path, database_url: str, **settings) -> dict[str, str]:
    """The environment of a process whose app reads ``folder/config.py``: the test's
    database and keys, no queue unless ``QUEUE_URL`` is given, then ``settings``."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "CONTACT_HASH_KEY": CONTACT_HASH_KEY,
        "CONTACT_ENCRYPTION_KEYS": [CONTACT_ENCRYPTION_KEY],
        "PASSWORD_HASH_PARAMS": CHEAP_HASHES,
        "QUEUE_URL": "",
        **settings,
    }
    (folder / "config.py").write_text("".join(f"{k} = {v!r}\n" for k, v in config.items()))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "QUEUE_URL")}
    # This checkout's code (python -m puts the working directory first on the path).
    env.update(CAMPAIGN_INSTANCE_PATH=str(folder), PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    return env


def flask_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "campaign", *args]


def run_flask(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        flask_command(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def start_deliverer(env: dict, *args: str) -> subprocess.Popen:
    """``tests/messaging/deliverer.py`` in its own process (see there for ``args``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.messaging.deliverer", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
