"""Outgoing e-mail over SMTP (a relay): plain, typed, no Flask and no database.

Every message is written with the ``email`` package's SMTP policy (CRLF, RFC 2047 words
folded at their own whitespace), so no header is folded right after its colon. Files go
with the mail up to the size the relay announces (ESMTP SIZE, RFC 1870); a mail that would
be larger is rebuilt by the caller with links in place of the files that do not fit.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, make_msgid

from connectors.errors import Permanent, Retryable

#: Assumed when the relay does not announce a SIZE: what common relays accept.
DEFAULT_RELAY_LIMIT = 10 * 1024 * 1024


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0
    sender: str = "Relaydesk <support@localhost>"


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    content_type: str
    data: bytes


def build_message(settings: SmtpSettings, to: list[str], subject: str, text: str,
                  html: str | None = None, headers: dict[str, str] | None = None,
                  sender_name: str | None = None,
                  files: Sequence[OutgoingFile] = ()) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr((sender_name, settings.sender)) if sender_name else settings.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    domain = settings.sender.rsplit("@", 1)[-1].strip(">") or "relaydesk.local"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for file in files:
        maintype, _, subtype = file.content_type.partition("/")
        if not subtype or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        if maintype == "text":  # sent as bytes: kept exactly as stored
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(file.data, maintype=maintype, subtype=subtype,
                               filename=file.filename)
    return message


def size_of(message: EmailMessage) -> int:
    return len(message.as_bytes(policy=SMTP))


def send(settings: SmtpSettings, message: EmailMessage,
         oversize: Callable[[int], EmailMessage] | None = None) -> str:
    """Hand the message to the relay; returns its Message-ID. If the message is larger
    than the relay accepts, ``oversize(limit)`` gives the message to send instead."""
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            smtp.ehlo_or_helo_if_needed()
            if settings.starttls:
                smtp.starttls()
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            if oversize is not None:
                limit = relay_limit(smtp)
                if size_of(message) > limit:
                    message = oversize(limit)
            sender, recipients = _address(message["From"]), _recipients(message)
            options: list[str] = []
            wide = next((a for a in [sender, *recipients] if not a.isascii()), None)
            if wide is None:
                data = message.as_bytes(policy=SMTP)
            else:
                # An internationalized mailbox (RFC 6531): only a relay offering SMTPUTF8
                # can carry it, and the headers then go as UTF-8.
                if not smtp.has_extn("smtputf8"):
                    raise Permanent(f"the address {wide!r} needs SMTPUTF8, which the SMTP "
                                    "relay does not offer")
                options = ["SMTPUTF8"]
                data = message.as_bytes(policy=SMTP.clone(utf8=True))
            refused = smtp.sendmail(sender, recipients, data, mail_options=options)
    except smtplib.SMTPRecipientsRefused as exc:
        raise Permanent(f"every recipient was refused: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise Permanent(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        raise Retryable(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise Retryable(f"SMTP relay {settings.host}:{settings.port} unreachable: {exc}") from exc
    if refused:
        raise Permanent(f"some recipients were refused: {refused}")
    return str(message["Message-ID"])


def relay_limit(smtp: smtplib.SMTP) -> int:
    """The largest message the relay takes (its ESMTP SIZE; 0 there means no limit)."""
    announced = (smtp.esmtp_features.get("size") or "").strip()
    if announced.isdigit():
        return int(announced) or 2**62
    return DEFAULT_RELAY_LIMIT


def _address(value: object) -> str:
    addresses = getattr(value, "addresses", ())
    return str(addresses[0].addr_spec) if addresses else str(value or "")


def _recipients(message: EmailMessage) -> list[str]:
    found = []
    for name in ("To", "Cc", "Bcc"):
        header = message[name]
        found += [str(a.addr_spec) for a in getattr(header, "addresses", ())]
    return found
