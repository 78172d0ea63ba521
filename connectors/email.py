"""Outgoing e-mail over SMTP (a relay): plain, typed, no Flask and no database."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from connectors.errors import Permanent, Retryable


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0
    sender: str = "Relaydesk <support@localhost>"


def build_message(settings: SmtpSettings, to: list[str], subject: str, text: str,
                  html: str | None = None, headers: dict[str, str] | None = None,
                  sender_name: str | None = None) -> EmailMessage:
    message = EmailMessage()
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
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> str:
    """Hand the message to the relay; returns its Message-ID."""
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            refused = smtp.send_message(message)
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
