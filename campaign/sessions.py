"""The session cookie is encrypted, not only signed.

Flask's cookie is signed but readable (base64 JSON). Ours carries secrets: a device's
member tokens (so a returning volunteer finds their group), the two-factor key while it is
being set up, the CSRF token. One mechanism keeps all of them unreadable, for every view:
the whole session is sealed with AES-GCM under a key derived from SECRET_KEY (HKDF), which
also authenticates it, so a changed cookie is simply no session. Cookies from before (or
from another key) open as an empty session, never an error.
"""

import base64
import binascii
import json
import struct
import time
from functools import lru_cache
from os import urandom

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask
from flask.sessions import SecureCookieSessionInterface, session_json_serializer
from itsdangerous import BadSignature, SignatureExpired

#: Binds the derived key to this one use of SECRET_KEY.
_KEY_INFO = b"campaign session cookie, AES-256-GCM, v1"
_NONCE = 12
_STAMP = struct.Struct(">Q")  # seconds since the epoch when the cookie was written


@lru_cache(maxsize=8)
def _cipher(secret: str | bytes) -> AESGCM:
    material = secret.encode() if isinstance(secret, str) else secret
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(material)
    return AESGCM(key)


class SealedCookie:
    """What Flask's session interface asks of its "signing serializer": ``dumps`` and
    ``loads(value, max_age)``, raising BadSignature for anything it cannot open."""

    def __init__(self, secrets: list[str | bytes]):
        self.secrets = secrets  # the current key first, then SECRET_KEY_FALLBACKS

    def dumps(self, data: dict) -> str:
        plain = _STAMP.pack(int(time.time())) + session_json_serializer.dumps(data).encode()
        nonce = urandom(_NONCE)
        sealed = nonce + _cipher(self.secrets[0]).encrypt(nonce, plain, None)
        return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

    def loads(self, value: str, max_age: int | None = None) -> dict:
        try:
            sealed = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            raise BadSignature("not a session cookie") from None
        nonce, body = sealed[:_NONCE], sealed[_NONCE:]
        for secret in self.secrets:
            try:
                plain = _cipher(secret).decrypt(nonce, body, None)
                break
            except (InvalidTag, ValueError):
                continue
        else:
            raise BadSignature("the session cookie does not open with any key")
        (written,) = _STAMP.unpack_from(plain)
        if max_age is not None and time.time() - written > max_age:
            raise SignatureExpired("the session cookie is too old")
        try:
            return session_json_serializer.loads(plain[_STAMP.size :].decode())
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BadSignature("the session cookie holds no session") from None


class EncryptedSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session with the cookie sealed by :class:`SealedCookie`."""

    def get_signing_serializer(self, app: Flask) -> SealedCookie | None:  # type: ignore[override]
        if not app.secret_key:
            return None
        return SealedCookie([app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or [])])


def init_app(app: Flask) -> None:
    app.session_interface = EncryptedSessionInterface()
