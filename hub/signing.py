"""Standard Webhooks signing (https://www.standardwebhooks.com): the secret format and the
``webhook-id`` / ``webhook-timestamp`` / ``webhook-signature`` headers of an outbound POST.

A secret is ``whsec_`` followed by base64 of random bytes; the HMAC key is those bytes. The
signature of a message is ``v1,`` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")).
During a secret rotation a message carries one signature per secret, separated by spaces, so a
receiver that knows either secret accepts it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence

PREFIX = "whsec_"
SECRET_BYTES = 24


class SecretError(ValueError):
    """Not a usable webhook secret."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret (``whsec_`` prefix optional, base64 padding optional)."""
    text = secret.strip()
    if text.startswith(PREFIX):
        text = text[len(PREFIX):]
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SecretError("a webhook secret is whsec_ followed by base64") from exc
    if not key:
        raise SecretError("a webhook secret may not be empty")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: str | bytes) -> str:
    """``v1,<base64 signature>`` of one message."""
    payload = body.encode() if isinstance(body, str) else body
    to_sign = f"{msg_id}.{int(timestamp)}.".encode() + payload
    digest = hmac.new(secret_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_: Sequence[str], msg_id: str, timestamp: int,
                     body: str | bytes) -> str:
    """The ``webhook-signature`` value: one signature per secret (current first)."""
    if not secrets_:
        raise SecretError("no secret to sign with")
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets_)


def headers(secrets_: Sequence[str], msg_id: str, timestamp: int,
            body: str | bytes) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(timestamp)),
            "webhook-signature": signature_header(secrets_, msg_id, timestamp, body)}
