"""Mail a customer directly (sign-in links): sent during the request, so the page can say
whether it went out. Notifications about items go through the hub instead."""

from __future__ import annotations

from flask import current_app

from connectors.email import build_message, send
from hub.actions.mail import smtp_settings


def send_customer_mail(to: str, subject: str, text: str, html: str | None = None,
                       sender_name: str | None = None) -> str:
    """Returns the Message-ID; raises ``connectors.errors.Retryable``/``Permanent``."""
    config = current_app.config
    settings = smtp_settings(config, config["MAIL_FROM"])
    message = build_message(settings, [to], subject, text, html,
                            sender_name=sender_name or config.get("MAIL_BRAND_NAME"))
    return send(settings, message)
