"""A deliverer in a process of its own, for the crash and race tests: the app from the
instance folder's config.py (CAMPAIGN_INSTANCE_PATH), then ``deliver_due`` once; prints
its counts as JSON on the last line of stdout.

``--pause-at N``: before its N-th send, print ``PAUSED <key>`` and wait to be killed (the
message claimed, not handed over). ``--start-file PATH``: wait until PATH exists before
delivering, so two deliverers start together. ``--slow-claim SECONDS``: sleep that long
after reading the due messages and before marking them claimed, which widens the window
in which two deliverers could take the same messages (a claim that does not exclude the
others then sends duplicates every time, not once in a while)."""

import argparse
import json
import time

from sqlalchemy import event

from campaign import create_app
from campaign.extensions import db
from campaign.messaging import delivery
from tests.messaging.transports import PausingTransport, wait_for_file


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pause-at", type=int, default=0)
    parser.add_argument("--start-file", default="")
    parser.add_argument("--slow-claim", type=float, default=0.0)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        if args.pause_at:
            email = delivery.transport_for("email")  # SMTP, from MAIL_SERVER
            app.extensions[delivery.TRANSPORTS] = {"email": PausingTransport(email, args.pause_at)}
        if args.slow_claim:
            _slow_claims(args.slow_claim)
        print("READY", flush=True)
        if args.start_file:
            wait_for_file(args.start_file)
        counts = delivery.deliver_due()
    print(
        json.dumps(
            {
                "sent": counts.sent,
                "retrying": counts.retrying,
                "failed": counts.failed,
                "expired": counts.expired,
                "unusable": counts.unusable,
            }
        ),
        flush=True,
    )


def _slow_claims(seconds: float) -> None:
    def after(_conn, _cursor, statement: str, *_args) -> None:
        sql = statement.lstrip().upper()
        if sql.startswith("SELECT") and "FROM MESSAGE" in sql and "LIMIT" in sql:
            time.sleep(seconds)  # the claim's read of due messages

    event.listen(db.engine, "after_cursor_execute", after)


if __name__ == "__main__":
    main()
