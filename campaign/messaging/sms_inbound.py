"""SMS in: the endpoint Kannel's ``sms-service`` calls for every SMS a phone sends, and
the keywords it understands.

Kannel calls ``GET /sms/inbound?from=%p&to=%P&text=%a&charset=%C&coding=%c&secret=…`` and
sends the body of the answer back to the phone as the reply (nothing when the body is
empty and the service has ``omit-empty = true``). The reply goes as UCS-2 when it needs
it (header ``X-Kannel-Coding: 2``, honoured with ``accept-x-kannel-headers = true``).
smsbox must have ``mo-recode = true``: a phone's UCS-2 text (Persian, Urdu) then arrives
as UTF-8; without it Kannel passes the raw UTF-16 bytes, which this app refuses (a NUL in
a query string never reaches a view).

The endpoint exists only when ``SMS_INBOUND_SECRET`` is set (404 otherwise); the secret
comes as the ``secret`` parameter or an ``X-SMS-Secret`` header. ``SMS_INBOUND_ALLOWED_IPS``
(a list, or a string separated by spaces or commas, of addresses or networks) also limits
who may call it.
"""

import hmac
import ipaddress
import logging
import re
import unicodedata
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, Response, abort, current_app, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from campaign.extensions import csrf, db
from campaign.groups.contacts import ContactError, normalise_contact
from campaign.messaging import sms_actions
from campaign.messaging.sms import needs_unicode
from campaign.models.groups import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, ContactKind
from campaign.transactions import writes

log = logging.getLogger("campaign.messages")

bp = Blueprint("sms_inbound", __name__)

#: Every text this module sends back. Short: one SMS part in English (160 characters).
REPLIES = {
    "help": _l(
        "Groups by SMS: send JOIN and a group code (and your name) to join; LINK for your "
        "link; SAFE when you are home; STOP to end messages."
    ),
    "unknown": _l(
        "Sorry, we did not understand. Send JOIN and a group code to join, LINK for your "
        "link, SAFE when home, STOP to end messages."
    ),
    "unknown_code": _l("No group has that code. Check it, then send JOIN and the code again."),
    "closed": _l("Sign-up for %(event)s has closed."),
    "too_many_joins": _l("Too many requests from this phone. Try again in an hour."),
    "pledge": _l("%(event)s. The pledge: %(pledge)s Reply YES to accept it and join."),
    "nothing_to_accept": _l("Nothing to accept: send JOIN and a group code first."),
    "joined": _l("You are in a group for %(event)s. Your private link follows."),
    "refused": _l("You could not join: %(reason)s"),
    "not_signed_up": _l("No sign-up found for this phone."),
    "link_sent": _l("Your new link is on its way. The old one no longer works."),
    "link_limit": _l("Your link was sent several times this hour. Try again later."),
    "no_event_today": _l("No event today for this phone. Thank you."),
    "home_safe": _l("Glad you are home safe. Thank you for standing up."),
    "stopped": _l("Messages stopped. Your place in your group stays."),
}

#: The longest text read; an SMS of 10 concatenated parts is about 1,530 characters.
MAX_TEXT = 2000

UNKNOWN = "UNKNOWN"

#: The words each keyword answers to, by language: the English word and natural Persian
#: and Urdu ones (compared after ``fold``: case, diacritics and letter variants ignored).
KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "JOIN": {
        "en": ("join",),
        "fa": ("عضویت", "عضو", "پیوستن"),
        "ur": ("شامل", "شمولیت"),
    },
    "YES": {
        "en": ("yes", "y"),
        "fa": ("بله", "بلی", "آره"),
        "ur": ("ہاں", "جی"),
    },
    "LINK": {
        "en": ("link",),
        "fa": ("لینک", "پیوند"),
        "ur": ("لنک", "ربط"),
    },
    "SAFE": {
        "en": ("safe",),
        "fa": ("سالم", "امن"),
        "ur": ("محفوظ",),
    },
    "STOP": {
        "en": ("stop", "stopall", "unsubscribe", "cancel", "end", "quit"),
        "fa": ("توقف", "لغو"),
        "ur": ("بند", "روکیں"),
    },
    "HELP": {
        "en": ("help", "info", "?"),
        "fa": ("راهنما", "کمک"),
        "ur": ("مدد",),
    },
}

#: Persian digits (U+06F0-06F9) and Arabic-Indic ones (U+0660-0669) → ASCII.
_DIGITS = {0x06F0 + n: str(n) for n in range(10)} | {0x0660 + n: str(n) for n in range(10)}
#: Letters typed differently on Arabic, Persian and Urdu keyboards, compared as one:
#: Arabic yeh and alef maksura as Persian yeh, Arabic kaf as keheh, heh goal,
#: do-chashmi heh and teh marbuta as heh, alef with hamza or madda as alef.
_LETTERS = str.maketrans(
    "\u064a\u0649\u0643\u06c1\u06be\u0629\u0623\u0625\u0622",
    "\u06cc\u06cc\u06a9\u0647\u0647\u0647\u0627\u0627\u0627",
)
#: Punctuation a keyword or code may come wrapped in (Latin and Arabic; curly quotes).
_TRIM = " \t\r\n.,;:!?()[]{}\"'`-_*\u00ab\u00bb\u201c\u201d\u2018\u2019\u060c\u061b\u061f"
#: Urdu letters Persian does not use: a text with one is answered in Urdu.
_URDU_ONLY = frozenset("ٹڈڑںےۓہھ")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
_POSTER_CODE = re.compile(r"\w{4}-\w{4}")


@dataclass(frozen=True)
class Command:
    """What an SMS asks for. ``keyword``: a key of KEYWORDS or UNKNOWN. ``args``: for JOIN,
    (group code normalised as ABCDEFGH, or ""; the name as typed, or ""); else the other
    words. ``language``: the language the SMS was written in, as far as it tells."""

    keyword: str
    args: tuple[str, ...] = ()
    language: str = field(default="en", compare=False)


def fold(word: str) -> str:
    """A word as compared with the keywords: case folded, ASCII digits, no diacritics,
    tatweel or zero-width (non-)joiners, one form of each letter with variants."""
    word = unicodedata.normalize("NFKC", word).translate(_DIGITS).translate(_LETTERS)
    word = "".join(
        ch
        for ch in unicodedata.normalize("NFD", word)
        if unicodedata.category(ch) not in ("Mn", "Cf") and ch != "\u0640"
    )
    return unicodedata.normalize("NFC", word).casefold().strip(_TRIM)


_WORDS: dict[str, tuple[str, str]] = {
    fold(word): (keyword, language)
    for keyword, languages in KEYWORDS.items()
    for language, words in languages.items()
    for word in words
}


def group_code(word: str) -> str | None:
    """``word`` as a join code (ABCDEFGH) when it is one: 8 letters and digits of the code
    alphabet, any case, dashes or spaces, Persian or Arabic digits; else None."""
    code = "".join(ch for ch in fold(word).upper() if ch.isalnum())
    if len(code) == JOIN_CODE_LENGTH and all(ch in JOIN_CODE_ALPHABET for ch in code):
        return code
    return None


def _bare_code(words: list[str]) -> bool:
    """Whether a message without keyword starts with a group code: written as on the poster
    (ABCD-EFGH) or with a digit, so that an ordinary word of eight letters ("whatever")
    is not taken for one."""
    first = fold(words[0])
    if group_code(first) and (_POSTER_CODE.fullmatch(first) or any(c.isdigit() for c in first)):
        return True
    pair = fold("".join(words[:2])) if len(words) > 1 else ""
    return bool(group_code(pair) and any(ch.isdigit() for ch in pair))


def _language_of(text: str) -> str:
    if not _ARABIC_SCRIPT.search(text):
        return "en"
    return "ur" if any(ch in _URDU_ONLY for ch in text) else "fa"


def parse(text: str) -> Command:
    """Read one SMS: its first word is the keyword (case-insensitive, in English, Persian or
    Urdu); a message that starts with a group code means JOIN. Never raises."""
    text = " ".join((text or "")[:MAX_TEXT].split())
    words = text.split(" ") if text else []
    if not words or not fold(words[0]):
        return Command("HELP", (), _language_of(text))
    keyword, language = _WORDS.get(fold(words[0]), (None, _language_of(text)))
    rest = words[1:]
    if keyword is None:
        if not _bare_code(words):
            return Command(UNKNOWN, tuple(words), language)
        keyword, rest = "JOIN", words  # "ABCD-EFGH Sara": the code alone means join
    if keyword != "JOIN":
        return Command(keyword, tuple(rest), language)
    code = ""
    if rest and group_code(rest[0]):
        code, rest = group_code(rest[0]) or "", rest[1:]
    elif len(rest) > 1 and group_code(rest[0] + rest[1]):  # "ABCD EFGH"
        code, rest = group_code(rest[0] + rest[1]) or "", rest[2:]
    elif rest:
        code, rest = "".join(ch for ch in fold(rest[0]).upper() if ch.isalnum()), rest[1:]
    return Command("JOIN", (code, " ".join(rest).strip(_TRIM)), language)


def reply_text(key: str, language: str, **values) -> str:
    """REPLIES[key] in ``language`` (English where it has no translation)."""
    if language not in current_app.config["LANGUAGES"]:
        language = "en"
    with force_locale(language):
        text = str(REPLIES[key])
        return text % {k: str(v) for k, v in values.items()} if values else text


def help_reply(_phone: str, command: Command) -> str:
    return reply_text("help", command.language)


def unknown_reply(_phone: str, command: Command) -> str:
    return reply_text("unknown", command.language)


#: keyword → handler(sender's phone in E.164, command) → reply text ("" for none).
Handler = Callable[[str, Command], str]
HANDLERS: dict[str, Handler] = {
    "JOIN": lambda phone, command: sms_actions.join(
        phone, command.args[0], command.args[1], command.language
    ),
    "YES": lambda phone, command: sms_actions.accept_pledge(phone, command.language),
    "LINK": lambda phone, command: sms_actions.send_link(phone, command.language),
    "SAFE": lambda phone, command: sms_actions.check_in_safe(phone, command.language),
    "STOP": lambda phone, command: sms_actions.stop(phone, command.language),
    "HELP": help_reply,
    UNKNOWN: unknown_reply,
}


def sender_phone(raw: str) -> str | None:
    """The sender as E.164, or None when it is no phone number (an operator's name, a
    short code): those get no reply, so two automatic services never talk in a loop.
    Networks report numbers as +44…, 0044… or 44…."""
    text = "".join(raw.split())
    if text.startswith("00") and text[2:].isdigit():
        text = "+" + text[2:]
    elif text.isdigit():
        text = "+" + text
    if not text.startswith("+"):
        return None
    try:
        kind, value = normalise_contact(text, "ZZ")  # "ZZ": no default region
    except ContactError:
        return None
    return value if kind is ContactKind.PHONE else None


# --- the endpoint ------------------------------------------------------------------------


def _plain(body: str, status: int = 200, *, coding: bool = False) -> Response:
    response = Response(body, status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    if coding:
        response.headers["X-Kannel-Coding"] = "2" if needs_unicode(body) else "0"
    return response


def _raw_fields() -> dict[str, bytes]:
    """The query's fields as bytes, the text to be decoded with the charset Kannel names
    (not assumed UTF-8); a POSTed form's fields first, read as UTF-8."""
    fields: dict[str, bytes] = {}
    if request.method == "POST":
        for name, value in request.form.items():
            fields.setdefault(name, value.encode("utf-8"))
        if "text" in fields:
            fields["charset"] = b"UTF-8"
    pairs = urllib.parse.parse_qsl(
        request.query_string.decode("latin-1"),
        keep_blank_values=True,
        encoding="latin-1",
        max_num_fields=50,
    )
    for name, value in pairs:
        fields.setdefault(name, value.encode("latin-1"))
    return fields


def _decode(raw: bytes, charset: bytes, coding: bytes) -> str:
    name = charset.decode("ascii", errors="replace").strip()
    if not name:
        name = "UTF-16BE" if coding.strip() == b"2" else "UTF-8"
    try:
        return raw.decode(name, errors="replace")
    except LookupError:  # "GSM" or a name Python does not know: UTF-8 is Kannel's default
        return raw.decode("utf-8", errors="replace")


def _allowed_networks(setting) -> list:
    if not setting:
        return []
    entries = setting.replace(",", " ").split() if isinstance(setting, str) else setting
    return [ipaddress.ip_network(str(entry).strip(), strict=False) for entry in entries]


def _address_allowed() -> bool:
    setting = current_app.config.get("SMS_INBOUND_ALLOWED_IPS")
    if not setting:
        return True
    try:
        networks = _allowed_networks(setting)
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        log.error("SMS_INBOUND_ALLOWED_IPS or the caller's address is not an address")
        return False
    return any(address in network for network in networks)


def _secret_matches(expected: str, fields: dict[str, bytes]) -> bool:
    given = request.headers.get("X-SMS-Secret", "").encode() or fields.get("secret", b"")
    return hmac.compare_digest(given, expected.encode())


@bp.route("/sms/inbound", methods=["GET", "POST"])
@csrf.exempt
@writes
def inbound():
    secret = current_app.config.get("SMS_INBOUND_SECRET")
    if not secret:
        abort(404)
    if not _address_allowed():
        return _plain("Forbidden\n", 403)
    try:
        fields = _raw_fields()
    except ValueError:  # too many fields
        return _plain("Bad request\n", 400)
    if not _secret_matches(str(secret), fields):
        return _plain("Forbidden\n", 403)
    if "from" not in fields:
        return _plain("Missing from\n", 400)
    phone = sender_phone(fields["from"].decode("utf-8", errors="replace"))
    if phone is None:
        log.info("sms in from a sender that is no phone number: no reply")
        return _plain("")
    text = _decode(fields.get("text", b""), fields.get("charset", b""), fields.get("coding", b""))
    command = parse(text)
    return _plain(_dispatch(phone, command), coding=True)


def _dispatch(phone: str, command: Command) -> str:
    handler = HANDLERS.get(command.keyword) or HANDLERS[UNKNOWN]
    try:
        reply = handler(phone, command)
        db.session.commit()
    except Exception:  # a failed action answers with the help text, never a 500
        log.exception("sms in: the %s handler failed", command.keyword)
        db.session.rollback()
        return reply_text("help", command.language)
    log.info("sms in: %s", command.keyword)
    return reply or ""
