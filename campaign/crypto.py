"""Contacts encrypted at rest: one key encrypts, older keys still decrypt (for rotation)."""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

EXTENSION = "campaign_contact_cipher"


class ContactKeyError(RuntimeError):
    """A stored contact cannot be read with any configured key."""


def keys_from_config(value) -> list[bytes]:
    """CONTACT_ENCRYPTION_KEYS as a list, or a string of keys separated by spaces or commas."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return [key.encode() if isinstance(key, str) else key for key in value or []]


def init_app(app: Flask) -> None:
    keys = keys_from_config(app.config.get("CONTACT_ENCRYPTION_KEYS"))
    if not keys:
        raise RuntimeError("CONTACT_ENCRYPTION_KEYS is empty")
    app.extensions[EXTENSION] = MultiFernet([Fernet(key) for key in keys])


def _cipher() -> MultiFernet:
    return current_app.extensions[EXTENSION]


def encrypt(text: str) -> str:
    return _cipher().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _cipher().decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise ContactKeyError("a contact could not be decrypted with the configured keys") from None


def rotate(token: str) -> str:
    """The same contact encrypted with the first (newest) key."""
    return _cipher().rotate(token.encode("ascii")).decode("ascii")


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
