"""What the SMS keywords do to groups and members (campaign.messaging.sms_inbound calls
these). Each takes the sender's phone in E.164, as the network reported it, and returns the
reply SMS text in the sender's language ("" sends no reply).

The network vouches for the sender's number the way a code sent to it does: an SMS from a
phone verifies that phone. A reply never carries the meeting point or other members'
details (SMS is readable by the network and often by others holding the phone); a member
link goes only in a message recorded for the verified phone.

Called inside the request's transaction: the view commits after a reply and rolls back
(replying with the help text) when one of these raises. A refusal the sender should read
("no such group", "the group is full") is a reply, not an exception.
"""

from flask_babel import force_locale

from campaign.extensions import db
from campaign.groups import by_contact
from campaign.groups.forms import SIGNUP_ERROR_MESSAGES
from campaign.groups.service import SignUpError
from campaign.service_errors import message_for


def _reply(answer: by_contact.SmsAnswer, language: str) -> str:
    from campaign.messaging.sms_inbound import reply_text

    return reply_text(answer.code, language, **answer.values)


def join(phone: str, code: str, name: str, language: str = "en") -> str:
    """JOIN <group code> [name]: the pledge comes back; YES accepts it."""
    return _reply(by_contact.sms_join(phone, code, name, language), language)


def accept_pledge(phone: str, language: str = "en") -> str:
    """YES: the last JOIN from this phone becomes a verified membership."""
    try:
        answer = by_contact.sms_yes(phone)
    except SignUpError as error:
        db.session.rollback()
        with force_locale(language):
            reason = str(message_for(error.code, SIGNUP_ERROR_MESSAGES))
        return _reply(by_contact.SmsAnswer("refused", {"reason": reason}), language)
    return _reply(answer, language)


def send_link(phone: str, language: str = "en") -> str:
    """LINK: a new member link for each of this phone's sign-ups, in its own message."""
    return _reply(by_contact.sms_link(phone), language)


def check_in_safe(phone: str, language: str = "en") -> str:
    """SAFE: home safe after today's event."""
    return _reply(by_contact.sms_safe(phone), language)


def stop(phone: str, language: str = "en") -> str:
    """STOP: no more messages to any of this phone's sign-ups."""
    return _reply(by_contact.sms_stop(phone), language)
