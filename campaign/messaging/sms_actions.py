"""What the SMS keywords do to groups and members (campaign.messaging.sms_inbound calls
these). Each takes the sender's phone in E.164, as the network reported it, and returns the
reply SMS text, in the member's language when known ("" sends no reply).

The network vouches for the sender's number the way a code sent to it does: an SMS from a
phone verifies that phone. A reply never carries the meeting point or other members'
details (SMS is readable by the network and often by others holding the phone).

Called inside the request's transaction: the view commits after a reply and rolls back
(replying with the help text) when one of these raises. A refusal the sender should read
("no such group", "the group is full") is a reply, not an exception.
"""


def join(phone: str, code: str, name: str) -> str:
    """JOIN <group code> [name]: the sender asks to join the group with ``code`` (normalised,
    e.g. "ABCDEFGH"; "" when none was given) under ``name`` ("" when none was given).

    Must: find the group (a merged one leads to the group it joined); refuse with a short
    reply when there is none, it is full, its event is over or cancelled, or sign-up has
    closed; hold a seat for the phone as a pending membership (the SMS verifies the phone,
    so no code is sent); and reply with the event's pledge text and "reply YES to accept".
    A phone already in that group gets its state back, not a second seat."""
    raise NotImplementedError


def accept_pledge(phone: str) -> str:
    """YES: the sender accepts the pledge of the group they last asked to join by SMS.

    Must: turn that pending membership into a verified one (it now counts toward the
    minimum; a seat held by someone else's unverified claim on this phone is freed), and
    reply with the member link and the group's state ("ready" or "still forming"). With no
    pending join, reply with the help text."""
    raise NotImplementedError


def send_link(phone: str) -> str:
    """LINK: the sender's member link(s) again, only because the SMS comes from the
    verified phone. Must reply with the link of each current membership of this phone
    (upcoming events first, a few at most), or say there is none."""
    raise NotImplementedError


def check_in_safe(phone: str) -> str:
    """SAFE: the sender is home safe after today's event. Must check out the sender's
    membership(s) in events that ended today (or are under way), so the "home safe?"
    prompt and the note to the group leader stop, and reply with a short thank-you."""
    raise NotImplementedError


def stop(phone: str) -> str:
    """STOP: no more messages of any kind to this phone. Must record the opt-out for the
    phone (every membership, future ones too: keyed by the contact's hash), cancel what is
    queued for it, and reply once with a confirmation saying how to start again; the
    opt-out is honoured by every later send (this reply is the last SMS)."""
    raise NotImplementedError
