"""Messages to volunteers and organisers: verification codes, confirmations, reminders.

What should be sent is recorded in the database (``campaign.models.messages.Message``, the
outbox) in the same transaction as the change that calls for it; a Huey task, the
periodic reconcile, or ``flask deliver`` sends it later through a transport (SMTP for
email, Kannel's HTTP sendsms for SMS, or the console when none is configured)."""
