"""The organiser board counts an event's messages (never shows them) and retries the
failed ones: through the test client, CSRF on, the event's organisers only."""

from datetime import timedelta

from sqlalchemy import delete

from campaign.extensions import db
from campaign.messaging.schedule import plan_due
from campaign.models import Message, MessageStatus, utcnow
from tests.helpers import csrf_token, sign_in
from tests.messaging.recorded import recorded, text_of


def _event_with_messages(make_event, make_group):
    """An event with three reminders: one queued, one sent, one failed."""
    event = make_event()
    make_group(event, 3)
    db.session.execute(delete(Message))  # the joins' messages: not what is counted here
    plan_due(event.starts_at - timedelta(hours=20))
    queued, sent, failed = recorded("reminder_24h")
    sent.status, sent.sent_at = MessageStatus.SENT, utcnow()
    failed.status, failed.attempts, failed.last_error = MessageStatus.FAILED, 5, "refused"
    db.session.commit()
    return event, (queued, sent, failed)


def test_the_board_counts_messages_and_never_shows_them(client, signed_in, make_event, make_group):
    event, messages = _event_with_messages(make_event, make_group)
    other = make_event()
    make_group(other, 3)
    plan_due(other.starts_at - timedelta(hours=20))  # another event's: not counted here
    texts = [text_of(m).text for m in messages]
    signed_in(event.organiser)
    page = client.get(f"/organise/events/{event.ref}/board").get_data(as_text=True)
    assert "Queued: 1" in page
    assert "Sent: 1" in page
    assert "Failed: 1" in page
    assert "Retry failed messages" in page
    for text in texts:
        assert text not in page
    assert "refused" not in page


def test_retry_requeues_the_failed_messages(client, signed_in, make_event, make_group):
    event, (_queued, sent, failed) = _event_with_messages(make_event, make_group)
    signed_in(event.organiser)
    board = f"/organise/events/{event.ref}/board"
    response = client.post(
        f"/organise/events/{event.ref}/messages/retry",
        data={"csrf_token": csrf_token(client, board)},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(board)
    db.session.refresh(failed)
    db.session.refresh(sent)
    assert failed.status is MessageStatus.QUEUED
    assert failed.attempts == 0
    assert failed.next_attempt_at <= utcnow()
    assert sent.status is MessageStatus.SENT
    page = client.get(board).get_data(as_text=True)
    assert "Queued: 2" in page
    assert "Failed: 0" in page
    assert "Retry failed messages" not in page


def test_retry_needs_the_csrf_token_and_the_events_organiser(
    app, client, signed_in, make_event, make_group, make_organiser
):
    event, (_queued, _sent, failed) = _event_with_messages(make_event, make_group)
    url = f"/organise/events/{event.ref}/messages/retry"
    assert app.test_client().post(url).status_code in (302, 400)  # signed out

    stranger = app.test_client()
    sign_in(stranger, make_organiser().email)
    token = csrf_token(stranger, "/organise/events")
    assert stranger.post(url, data={"csrf_token": token}).status_code == 404

    signed_in(event.organiser)
    assert client.post(url).status_code == 400  # no CSRF token
    db.session.refresh(failed)
    assert failed.status is MessageStatus.FAILED
    assert db.session.get(Message, failed.id).attempts == 5
