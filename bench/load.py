"""Many concurrent joins on one popular event, through real gunicorn workers, then checks
that the rules held: no group above its maximum, no contact twice in one event, and every
join that got a success response is in the database.

Loopback only, bounded in count and time. Used by `make load` (full size, SQLite and
PostgreSQL) and by tests/test_load.py (small, and once with a SIGKILL in the middle).

    python bench/load.py --database-url sqlite:////tmp/load.sqlite3 --joins 400 --users 32
"""

import argparse
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MEMBER = re.compile(r"/me/([A-Za-z0-9_-]{32,})")


# --- a server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """gunicorn serving the app from gunicorn.conf.py, in its own process group.

    ``workers=None`` leaves the count to gunicorn.conf.py, as `make serve` does;
    ``environment`` adds variables (e.g. RATELIMIT_STORAGE_URI, PROXY_FIX_HOPS)."""

    database_url: str
    instance: Path
    workers: int | None = 3
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    environment: dict = field(default_factory=dict)
    #: Another WSGI app than gunicorn.conf.py's, e.g. "tests.exports.counting_app:create_app()".
    app: str | None = None

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "Server":
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CAMPAIGN_INSTANCE_PATH": str(self.instance),
            "GUNICORN_BIND": self.base,
            "GUNICORN_ACCESSLOG": "/dev/null",
            **self.environment,
        }
        if self.workers is not None:
            env["GUNICORN_WORKERS"] = str(self.workers)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(  # noqa: S603
            [str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py"), *filter(None, [self.app])],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: killed as one
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with code {self.process.returncode}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/auth/login")
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: a crash, not a shutdown."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def prepare_instance(instance: Path) -> None:
    """An instance folder whose config lifts the per-address limits: every simulated
    volunteer here comes from 127.0.0.1."""
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "config.py").write_text("RATELIMIT_ENABLED = False\n")


def create_event(database_url: str, instance: Path, max_group_size: int = 8) -> str:
    """Migrate the database and add one published event; returns its ref."""
    env = {**os.environ, "DATABASE_URL": database_url, "CAMPAIGN_INSTANCE_PATH": str(instance)}
    script = f"""
from campaign import create_app
from campaign.extensions import db
from flask_migrate import upgrade
from tests.factories import event_details
from campaign.accounts.service import create_organiser
from campaign.campaigns.service import CampaignDetails, create_campaign
from campaign.events.service import create_event, submit_for_review, publish_event
app = create_app()
with app.app_context():
    upgrade()
    admin = create_organiser("load@example.org", "violet tractor umbrella", "A", is_admin=True)
    # The load's invariants are about seats and the minimum for people who count: joins
    # there are verified at once (bench/run.py measures joins with verification).
    details = CampaignDetails(name="Load", slug="load", pledge="Calm.", verify_contacts=False)
    campaign = create_campaign(admin, details)
    event = create_event(campaign, admin, event_details(max_group_size={max_group_size}))
    submit_for_review(event, admin)
    publish_event(event, admin)
    db.session.commit()
    print(event.ref)
"""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return result.stdout.strip().splitlines()[-1]


# --- the load ----------------------------------------------------------------------------


@dataclass
class Outcome:
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (contact, token)
    refused: int = 0  # an answer that was not a success (full, duplicate, …)
    failed: int = 0  # no answer (connection error, server gone)
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def join_form(connection: http.client.HTTPConnection, ref: str) -> tuple[str, str | None]:
    """GET the join form: (session cookie, CSRF token, None when the page had none)."""
    connection.request("GET", f"/e/{ref}/join")
    page = connection.getresponse()
    body = page.read().decode()
    cookie = "; ".join(
        value.split(";")[0]
        for value in page.headers.get_all("Set-Cookie") or []
        if value.startswith("session=")
    )
    match = CSRF.search(body)
    return cookie, match.group(1) if page.status == 200 and match else None


def join_once(server: str, ref: str, n: int, contact: str, outcome: Outcome) -> None:
    host, port = server.split(":")
    started = time.perf_counter()
    try:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        cookie, csrf_token = join_form(connection, ref)
        if csrf_token is None:
            with outcome.lock:
                outcome.refused += 1
            return
        form = urlencode(
            {
                "csrf_token": csrf_token,
                "display_name": f"Load {n}",
                "contact": contact,
                "pledge": "y",
                "mode": "any",
            }
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        connection.request("POST", f"/e/{ref}/join", body=form, headers=headers)
        answer = connection.getresponse()
        answer.read()
        location = answer.getheader("Location") or ""
        token = MEMBER.search(location)
        with outcome.lock:
            if answer.status == 302 and token:
                outcome.acknowledged.append((contact, token.group(1)))
                outcome.latencies.append(time.perf_counter() - started)
            else:
                outcome.refused += 1
    except OSError:
        with outcome.lock:
            outcome.failed += 1


def run_load(
    server: str,
    ref: str,
    joins: int,
    users: int,
    *,
    duplicates: int = 0,
    deadline: float = 120,
    outcome: Outcome | None = None,
    first: int = 0,
) -> Outcome:
    """``joins`` sign-ups by ``users`` concurrent clients; the last ``duplicates`` reuse
    earlier contacts (they must be refused). Pass ``outcome`` to watch it fill up; contacts
    are numbered from ``first``."""
    outcome = outcome if outcome is not None else Outcome()
    contacts = [f"load{n}@example.org" for n in range(first, first + joins - duplicates)]
    contacts += contacts[:duplicates]
    stop_at = time.monotonic() + deadline
    with ThreadPoolExecutor(max_workers=users) as pool:
        for n, contact in enumerate(contacts):
            if time.monotonic() > stop_at:
                break
            pool.submit(join_once, server, ref, n, contact, outcome)
    return outcome


# --- the rules ---------------------------------------------------------------------------


def check_invariants(database_url: str, ref: str, acknowledged) -> list[str]:
    """What broke, in words; empty when every rule held."""
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    problems = []
    with engine.connect() as connection:
        event_id, maximum = connection.execute(
            text("SELECT id, max_group_size FROM event WHERE ref = :ref"), {"ref": ref}
        ).one()
        for group_id, size in connection.execute(
            text("SELECT group_id, count(*) FROM membership WHERE event_id = :e GROUP BY group_id"),
            {"e": event_id},
        ):
            if size > maximum:
                problems.append(f"group {group_id} has {size} members, above {maximum}")
        for digest, times in connection.execute(
            text(
                "SELECT contact_hash, count(*) FROM membership WHERE event_id = :e "
                "GROUP BY contact_hash HAVING count(*) > 1"
            ),
            {"e": event_id},
        ):
            problems.append(f"a contact is in the event {times} times ({digest[:8]}…)")
        stored = {
            row[0]
            for row in connection.execute(
                text("SELECT token_hash FROM membership WHERE event_id = :e"), {"e": event_id}
            )
        }
        for contact, token in acknowledged:
            if hashlib.sha256(token.encode()).hexdigest() not in stored:
                problems.append(f"{contact} was told they joined but is not in the database")
        if engine.dialect.name == "sqlite":
            verdict = connection.execute(text("PRAGMA integrity_check")).scalar()
            if verdict != "ok":
                problems.append(f"SQLite integrity_check: {verdict}")
    engine.dispose()
    return problems


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp folder")
    parser.add_argument("--joins", type=int, default=400)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--duplicates", type=int, default=20)
    parser.add_argument("--deadline", type=float, default=300, help="seconds, at most")
    parser.add_argument("--kill-after", type=float, help="SIGKILL the server after N seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        prepare_instance(instance)
        url = args.database_url or f"sqlite:///{Path(folder) / 'load.sqlite3'}"
        ref = create_event(url, instance, max_group_size=8)
        server = Server(url, instance, workers=args.workers).start()
        killer = None
        if args.kill_after:
            killer = threading.Timer(args.kill_after, server.kill)
            killer.start()
        started = time.perf_counter()
        try:
            outcome = run_load(
                server.base,
                ref,
                args.joins,
                args.users,
                duplicates=args.duplicates,
                deadline=args.deadline,
            )
        finally:
            if killer:
                killer.cancel()
            server.stop()
        elapsed = time.perf_counter() - started
        problems = check_invariants(url, ref, outcome.acknowledged)
    report = {
        "database": url.split(":")[0],
        "joins_tried": args.joins,
        "acknowledged": len(outcome.acknowledged),
        "refused": outcome.refused,
        "failed": outcome.failed,
        "seconds": round(elapsed, 2),
        "joins_per_second": round(len(outcome.acknowledged) / elapsed, 1) if elapsed else 0,
        "p50_ms": round(percentile(outcome.latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(outcome.latencies, 0.99) * 1000, 1),
        "problems": problems,
    }
    print(json.dumps(report, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
