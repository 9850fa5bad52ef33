"""Volunteers' contacts: one normal form per person, and a keyed hash to compare them."""

import hashlib
import hmac

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from campaign.models.groups import ContactKind


class ContactError(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalise_contact(raw: str, default_region: str) -> tuple[ContactKind, str]:
    """A phone number in E.164 (read as in ``default_region`` when it has no +country
    prefix) or a lower-cased email address. Any run of whitespace (tabs, no-break and thin
    spaces, line breaks from a pasted contact card) counts as one space."""
    text = " ".join((raw or "").split())
    if not text:
        raise ContactError("contact_required")
    if "@" in text:
        try:
            email = validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ContactError("bad_email") from None
        return ContactKind.EMAIL, email.lower()
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException:
        raise ContactError("bad_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ContactError("bad_phone")
    return ContactKind.PHONE, phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.E164
    )


def contact_hash(contact: str, key: str) -> str:
    """HMAC-SHA256: equal contacts match, and a stolen table cannot be reversed by guessing
    phone numbers without the key."""
    return hmac.new(key.encode(), contact.encode(), hashlib.sha256).hexdigest()


def display_phone(e164: str) -> str:
    """+447700900123 → +44 7700 900123, for people reading it."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
