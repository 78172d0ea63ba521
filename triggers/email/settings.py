"""What the intake needs from the configuration (read from the app's config mapping)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_FREEMAIL_DOMAINS = (
    "gmail.com,googlemail.com,outlook.com,hotmail.com,hotmail.es,hotmail.com.br,live.com,"
    "msn.com,yahoo.com,yahoo.es,yahoo.com.br,yahoo.com.mx,ymail.com,aol.com,icloud.com,me.com,"
    "mac.com,proton.me,protonmail.com,gmx.com,gmx.de,gmx.net,web.de,mail.com,zoho.com,"
    "yandex.com,yandex.ru,mail.ru,uol.com.br,bol.com.br,terra.com.br,ig.com.br,"
    "outlook.com.br,sapo.pt,telefonica.net,qq.com,163.com,126.com"
)


BUILT_IN = "<built-in>"


def split_list(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip().lower() for p in (value or "").replace(";", ",")
                               .split(",") if p.strip()))


def parse_freemail(value: str | None) -> frozenset[str]:
    """The configured list; ``<built-in>`` in it stands for the common free-mail domains."""
    entries = split_list(BUILT_IN if value is None else value)
    if BUILT_IN in entries:
        entries = tuple(e for e in entries if e != BUILT_IN) + split_list(
            DEFAULT_FREEMAIL_DOMAINS)
    return frozenset(entries)


@dataclass(frozen=True)
class IntakeSettings:
    attachment_dir: str
    attachment_max_bytes: int = 25 * 1024 * 1024
    mail_from: str = "support@relaydesk.local"
    freemail_domains: frozenset[str] = field(
        default_factory=lambda: frozenset(split_list(DEFAULT_FREEMAIL_DOMAINS)))
    create_organizations: bool = True
    # Addresses ("x@y") or whole domains ("@y") never added as followers, beside the
    # support addresses themselves.
    never_follow: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> IntakeSettings:
        return cls(
            attachment_dir=str(config["ATTACHMENT_DIR"]),
            attachment_max_bytes=int(config["ATTACHMENT_MAX_BYTES"]),
            mail_from=str(config.get("MAIL_FROM") or "").strip().lower(),
            freemail_domains=parse_freemail(config.get("MAIL_FREEMAIL_DOMAINS")),
            create_organizations=bool(config.get("MAIL_CREATE_ORGANIZATIONS", True)),
            never_follow=split_list(config.get("MAIL_NEVER_FOLLOW", "")),
        )


def blocked_address(email: str, own: set[str] | frozenset[str], entries: tuple[str, ...]) -> bool:
    """Whether ``email`` is one never to add as a follower nor notify: one of our own
    addresses, or listed (an address, or ``@domain`` for a whole domain)."""
    email = email.strip().lower()
    return (email in own or email in entries
            or "@" + email.rsplit("@", 1)[-1] in entries)

