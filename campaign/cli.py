"""Command-line tools: ``flask --app campaign <command>``."""

import sys

import click
from flask import Flask
from sqlalchemy import Integer, Text, column, exists, select, table

from campaign import crypto
from campaign.accounts.service import MIN_PASSWORD_LENGTH, AccountError, create_organiser
from campaign.extensions import db
from campaign.groups import retention
from campaign.models import Campaign, utcnow
from campaign.transactions import begin_write

ACCOUNT_ERRORS = {
    "email_taken": "An organiser with this email exists already.",
    "password_too_short": f"The password needs at least {MIN_PASSWORD_LENGTH} characters.",
    "password_too_long": "The password is too long.",  # nosec B105
    "password_too_common": "This password is too common or too easy to guess.",
}


@click.command("create-organiser")
@click.option("--email", required=True, help="The organiser's sign-in email.")
@click.option("--name", default="", help="Display name (default: the part before @).")
@click.option("--admin", is_flag=True, help="Site admin: may create and run every campaign.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_organiser_command(email: str, name: str, admin: bool, password_stdin: bool):
    """Create an organiser account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        organiser = create_organiser(email, password, name or email.split("@")[0], is_admin=admin)
    except AccountError as error:
        raise click.ClickException(ACCOUNT_ERRORS[error.code]) from None
    db.session.commit()
    kind = "site admin" if admin else "organiser"
    click.echo(f"Created {kind} {organiser.email}.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no campaign at all.")
def seed_demo_command(if_empty: bool):
    """Load the I AM HAZARA demo campaign (does nothing if it is there)."""
    from campaign.dev.demo import load_demo  # a seeder, kept out of the app's imports

    if if_empty and db.session.scalar(select(exists().where(Campaign.id.is_not(None)))):
        click.echo("The database has campaigns already; demo not loaded.")
        return
    result = load_demo()
    db.session.commit()
    if not result.created:
        click.echo("The demo campaign is loaded already.")
        return
    click.echo(
        f"Loaded the demo campaign i-am-hazara: {result.events} published events, "
        f"{result.volunteers} volunteers in groups."
    )
    for email, password in result.passwords.items():
        click.echo(f"  {email}  password: {password}   (shown once: note it now)")


@click.command("consolidate")
@click.argument("event_ref")
def consolidate_command(event_ref: str):
    """Merge an event's forming groups where they fit; list those still below the minimum."""
    from campaign.events.queries import event_by_ref
    from campaign.groups.service import consolidate

    event = event_by_ref(event_ref)
    if event is None:
        raise click.ClickException(f"No event {event_ref!r}.")
    result = consolidate(event)
    db.session.commit()
    for source, target in result.merges:
        click.echo(
            f"Merged {source.display_code} into {target.display_code} "
            f"({target.member_count} people)."
        )
    if not result.merges:
        click.echo("No groups could be merged.")
    for group in result.still_forming:
        click.echo(
            f"Still below the minimum: {group.display_code} "
            f"({group.member_count} of {event.min_group_size}): told not to go alone."
        )


#: Contacts re-encrypted per transaction: each batch holds the write lock briefly, so
#: sign-ups go on while a large campaign's contacts are rotated.
ROTATE_BATCH = 500


@click.command("rotate-contact-key")
def rotate_contact_key_command():
    """Re-encrypt every stored contact with the first of CONTACT_ENCRYPTION_KEYS."""
    membership = table("membership", column("id", Integer), column("contact", Text))
    done, last_id = 0, 0
    while True:
        begin_write()  # the lock first: a batch never fails upgrading a read to a write
        rows = db.session.execute(
            select(membership.c.id, membership.c.contact)
            .where(membership.c.id > last_id, membership.c.contact.is_not(None))
            .order_by(membership.c.id)
            .limit(ROTATE_BATCH)
        ).all()
        if not rows:
            db.session.rollback()
            break
        for row_id, token in rows:
            # Only if unchanged meanwhile: a purge that emptied it must not be undone.
            db.session.execute(
                membership.update()
                .where(membership.c.id == row_id, membership.c.contact == token)
                .values(contact=crypto.rotate(token))
            )
        db.session.commit()
        done, last_id = done + len(rows), rows[-1][0]
    click.echo(f"Re-encrypted {done} contacts with the newest key.")
    if not retention.empty_write_ahead_log():  # old ciphertexts out of the -wal file too
        click.echo("The database was busy: run the command again later to empty its log.")


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only list the events that are due.")
def purge_command(dry_run: bool):
    """Delete volunteers' personal data of events past their campaign's retention period.

    Keeps anonymous counts. Idempotent: run it daily from cron.
    """
    if dry_run:
        due = retention.due_for_purge(utcnow())
        click.echo(f"{len(due)} events due: " + " ".join(e.ref for e in due))
        return
    report = retention.purge()
    db.session.commit()
    click.echo(
        f"Purged {len(report.events)} events, {report.volunteers} volunteers' personal data."
    )
    if not retention.empty_write_ahead_log():
        raise click.ClickException(
            "The database was busy: its write-ahead log may still hold purged data. "
            "Run purge again in a minute."
        )


@click.command("seed-scale")
@click.option("--events", default=10_000, show_default=True, help="Published events to add.")
@click.option("--members", default=1_000_000, show_default=True, help="Volunteers in groups.")
@click.option("--slug", default="scale", show_default=True, help="The new campaign's slug.")
def seed_scale_command(events: int, members: int, slug: str):
    """Add a large campaign (bulk inserts) to measure pages, feeds and queries at scale."""
    from campaign.dev import scale  # a seeder, kept out of the app's imports

    if scale.scale_campaign_exists(slug):
        raise click.ClickException(f"A campaign {slug!r} exists already: choose --slug.")
    with click.progressbar(length=members, label="Volunteers") as bar:
        result = scale.seed_scale(events, members, slug=slug, progress=bar.update)
    db.session.commit()
    click.echo(
        f"Campaign /c/{result.campaign_slug}: {result.events} events, {result.groups} groups, "
        f"{result.members} volunteers."
    )


def register(app: Flask) -> None:
    from campaign.messaging import cli as messaging_cli

    messaging_cli.register(app)  # deliver, consume
    app.cli.add_command(seed_scale_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(rotate_contact_key_command)
    app.cli.add_command(create_organiser_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(consolidate_command)
