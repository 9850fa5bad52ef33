"""``flask deliver`` (send what is due now, for cron and tests) and ``flask consume`` (the
queue's consumer, continuously)."""

import logging

import click
from flask import Flask

from campaign.messaging import delivery, queue


@click.command("deliver")
def deliver_command():
    """Send every message due now (after planning what is due), print counts and exit.

    Exits 1 only when a channel has no usable transport (a configuration error); messages
    that fail are retried later and counted, not an error of the command."""
    report = delivery.tick()
    counts = report.delivered
    click.echo(f"Sent {counts.sent}, {counts.retrying} to try again later, {counts.failed} failed.")
    if counts.expired:
        click.echo(f"{counts.expired} not sent in time: their claim ran out (sent later).")
    if report.planned is not None:
        click.echo(f"Planned {report.planned} new messages.")
    if report.released:
        click.echo(f"Released {report.released} unverified seats past their hold.")
    for error in report.errors:
        click.echo(f"Error: {error} (see the log).", err=True)
    for why in counts.unusable.values():
        click.echo(f"Configuration error, nothing sent by {why}", err=True)
    if counts.unusable:
        raise click.exceptions.Exit(1)


@click.command("consume")
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads sending messages at once.",
)
def consume_command(workers: int):
    """Run the queue's consumer: deliver each message as it is recorded, and every minute
    plan and send what is due. Stop with Ctrl-C (finishes what it is sending)."""
    problems = delivery.unusable_channels()
    if problems:
        raise click.ClickException("; ".join(problems.values()))
    huey = queue.huey_for()
    if huey is None:
        raise click.ClickException(
            "QUEUE_URL is empty: there is no queue to consume. Set it, or run "
            "`flask deliver` from cron every minute."
        )
    if queue.queue_for().url.startswith("memory:"):
        raise click.ClickException("QUEUE_URL memory:// lives in one process: nothing to consume.")
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()


def register(app: Flask) -> None:
    app.cli.add_command(deliver_command)
    app.cli.add_command(consume_command)
