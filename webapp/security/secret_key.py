"""The key that signs session cookies, JWTs and the links we mail: never a publicly known one.

``SECRET_KEY`` set: used if it is at least 32 bytes and not a value published with Relaydesk.
Unset (or empty): a random key is generated once into ``<DATA_DIR>/secret.key`` and read from
there by every later process, so all processes of an installation sign alike.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from webapp.config import GENERATED_SECRET_KEY
from webapp.security.key_file import KeyFileError, read_or_create

KEY_FILE = "secret.key"
MIN_BYTES = 32
# Values that were published (config defaults, docker-compose.yml): anyone can sign with them.
PUBLISHED = frozenset({
    "dev-insecure-change-me-in-production-please",
    "change-me-to-a-long-random-string",
})
log = logging.getLogger(__name__)


class InsecureSecretKey(ValueError):
    """SECRET_KEY is publicly known or too short: the app must not start with it."""


def resolve(setting: str | None, data_dir: str) -> str:
    """The secret key to run with (see the module's doc); raises ``InsecureSecretKey``."""
    value = (setting or "").strip()
    if value and value != GENERATED_SECRET_KEY:
        _check(value, "SECRET_KEY")
        log.info("secret key from environment")
        return value
    path = Path(data_dir) / KEY_FILE
    try:
        raw, created = read_or_create(path, lambda: secrets.token_urlsafe(48).encode())
    except KeyFileError as exc:
        raise InsecureSecretKey(f"{exc}: delete it (a new key is generated) or set "
                                "SECRET_KEY") from None
    key = raw.decode()
    _check(key, str(path))
    if created:
        log.warning("secret key generated into %s", path, extra={"path": str(path)})
    else:
        log.info("secret key read from %s", path, extra={"path": str(path)})
    return key


def _check(key: str, origin: str) -> None:
    if key in PUBLISHED:
        problem = "is a publicly known example value: anyone could sign in as any user with it"
    elif len(key.encode()) < MIN_BYTES:
        problem = f"is shorter than {MIN_BYTES} bytes"
    else:
        return
    message = (f"{origin} {problem}. Unset SECRET_KEY to have a random key generated into "
               f"DATA_DIR/{KEY_FILE}, or set it to a random value of at least {MIN_BYTES} "
               "bytes, e.g. the output of: python -c 'import secrets; "
               "print(secrets.token_urlsafe(48))'")
    log.error("refusing to start: %s", message)
    raise InsecureSecretKey(message)
