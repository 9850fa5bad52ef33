"""How many messages per minute one deliverer sends from the outbox: claim, send, mark
sent, as ``flask deliver`` and the consumer's tick do, against a fresh SQLite database (or
``--database-url``, an empty PostgreSQL database) and a local SMTP server (aiosmtpd in
its own process, accepting and dropping), a local Kannel with fakesmsc (SMS; skipped when
Kannel is not installed), or the console transport. Run by hand:

    .venv/bin/python -m bench.deliver_throughput [--messages 500] [--threads 1 2]

``--threads N`` runs N deliverers at once in one process (the consumer's ``--workers``).
Everything is made in a temporary directory, removed afterwards.
"""

import argparse
import logging
import multiprocessing
import os
import tempfile
import threading
import time

from bench.mail_throughput import loopback_port, serve


def _app(database_url: str, instance: str, **settings):
    os.environ["CAMPAIGN_INSTANCE_PATH"] = instance
    from campaign import create_app
    from tests.databases import app_config

    return create_app({**app_config(database_url), "QUEUE_URL": "", **settings})


def _fill(count: int, prefix: str, channel=None) -> None:
    from campaign.models import Channel
    from tests.messaging.outbox_rows import add_messages

    for start in range(0, count, 500):
        add_messages(
            min(500, count - start), prefix=f"{prefix}-{start}-", channel=channel or Channel.EMAIL
        )


def _run(app, threads: int) -> tuple[float, int]:
    """Seconds until ``threads`` deliverers have sent everything due, and how many."""
    from campaign.extensions import db
    from campaign.messaging import delivery

    totals: list[int] = []

    def deliverer() -> None:
        with app.app_context():
            totals.append(delivery.deliver_due().sent)
            db.session.remove()

    workers = [threading.Thread(target=deliverer) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started, sum(totals)


def _kannel(folder: str):
    """A local Kannel with fakesmsc, or None when Kannel is not installed."""
    from pathlib import Path

    from tests.kannel import BEARERBOX, Kannel

    if not Path(BEARERBOX).exists():
        return None
    return Kannel(Path(folder) / "kannel", get_url="http://127.0.0.1:9/unused").start()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--database-url", default="")
    options = parser.parse_args()
    logging.getLogger("campaign.messages").setLevel(logging.ERROR)  # no console prints

    from flask_migrate import upgrade

    from campaign.extensions import db
    from campaign.models import Channel

    port = loopback_port()
    count = multiprocessing.Value("i", 0)
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, count, ready, stop))
    server.start()
    results = []
    try:
        if not ready.wait(30):
            raise SystemExit("the SMTP server did not start")
        with tempfile.TemporaryDirectory(prefix="deliver-bench-") as folder:
            url = options.database_url or f"sqlite:///{folder}/bench.sqlite3"
            smtp = {
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": port,
                "MAIL_DEFAULT_SENDER": "Campaign <noreply@campaign.example.org>",
            }
            kannel = _kannel(folder)
            runs = [("SMTP (aiosmtpd)", smtp), ("console", {})]
            if kannel is not None:
                runs.append(("SMS (Kannel + fakesmsc)", kannel.transport_config()))
            for name, settings in runs:
                app = _app(url, f"{folder}/instance", **settings)
                channel = Channel.SMS if name.startswith("SMS") else Channel.EMAIL
                with app.app_context():
                    upgrade()
                    for threads in options.threads:
                        _fill(options.messages, f"{name[:4]}{threads}", channel)
                        seconds, sent = _run(app, threads)
                        assert sent == options.messages, (sent, options.messages)
                        results.append((name, threads, sent * 60 / seconds))
                    db.session.remove()
                    db.engine.dispose()
            if kannel is not None:
                arrived = len(kannel.wait_for(options.messages * len(options.threads), 120))
                print(f"fakesmsc received {arrived} SMS")
                kannel.stop()
        sent_by_smtp = sum(options.messages for _ in options.threads)
        assert count.value == sent_by_smtp, (count.value, sent_by_smtp)
    finally:
        stop.set()
        server.join(10)
    database = "PostgreSQL" if options.database_url else "SQLite"
    for name, threads, rate in results:
        print(f"{database}, {name}, {threads} thread(s): {rate:,.0f} messages/minute")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
