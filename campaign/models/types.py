"""Column types shared by the models."""

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, Text
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as naive UTC, read back as aware UTC on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def str_enum(enum_class: type[enum.StrEnum], length: int) -> Enum:
    """A string column holding the enum's values: portable, no native ENUM type to migrate."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class EncryptedText(TypeDecorator):
    """Text encrypted at rest with the app's contact keys (Fernet: AES-128-CBC + HMAC).

    A stolen database file holds no phone number or email in clear; the app decrypts on
    read. Keys come from ``campaign.crypto`` (CONTACT_ENCRYPTION_KEYS).
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect):
        if value is None:
            return None
        from campaign.crypto import encrypt

        return encrypt(value)

    def process_result_value(self, value: str | None, dialect):
        if value is None:
            return None
        from campaign.crypto import decrypt

        return decrypt(value)
