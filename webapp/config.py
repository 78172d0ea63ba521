"""Configuration: one table of settings, read from the environment when the app is created.

Every setting the product reads is declared in ``SETTINGS``; the README's configuration table
is printed from it (``relaydesk config``), so the two cannot drift apart.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _bool(value: str) -> bool:
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean (true/false), got {value!r}")


_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^(\d+(?:\.\d*)?)\s*([smhd]?)$", re.IGNORECASE)


def duration_seconds(text: str) -> float:
    """Seconds in a duration such as ``90``, ``30s``, ``15m``, ``2h`` or ``5d``."""
    match = _DURATION.match(str(text).strip())
    if match is None:
        raise ValueError(f"expected a duration such as 30s, 15m, 2h or 5d, got {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def _duration(value: str) -> str:
    duration_seconds(value)
    return value.strip()


def _networks(value: str) -> str:
    from connectors.ssrf import parse_networks

    parse_networks(value)
    return value.strip()


def _rate_limit(value: str) -> str:
    from limits import parse

    try:
        parse(value)
    except ValueError:
        raise ValueError(f"expected a rate such as 10 per minute or 30 per 15 minutes, "
                         f"got {value!r}") from None
    return value.strip()


def _proxy_count(value: str) -> int:
    text = value.strip() or "0"
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"expected the number of proxies in front (0, 1, 2 …), got {value!r}")
    return int(text)


GENERATED_SECRET_KEY = "<generated into DATA_DIR/secret.key>"
"""SECRET_KEY's default: a random key is generated once into the data folder."""


@dataclass(frozen=True)
class Setting:
    env: str
    key: str
    default: Any
    parse: Callable[[str], Any]
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("RELAYDESK_DATA_DIR", "DATA_DIR", "./var", str,
            "Folder for the SQLite file, attachments and other local state."),
    Setting("DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "sqlite:///<DATA_DIR>/relaydesk.db", str,
            "SQLAlchemy URL; e.g. postgresql+psycopg2://postgres@127.0.0.1:5432/relaydesk."),
    Setting("REDIS_URL", "REDIS_URL", "", str,
            "Redis for RQ workers; empty means the in-process job runner."),
    Setting("SECRET_KEY", "SECRET_KEY", GENERATED_SECRET_KEY, str,
            "Signs session cookies, API tokens (JWT) and mailed links: a random value of at "
            "least 32 bytes shared by every process; unset or empty: one generated once into "
            "<DATA_DIR>/secret.key. A publicly known or shorter value is refused at start."),
    Setting("ATTACHMENT_DIR", "ATTACHMENT_DIR", "<DATA_DIR>/attachments", str,
            "Where uploaded attachment files are stored."),
    Setting("ATTACHMENT_MAX_BYTES", "ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024, int,
            "Largest accepted attachment, in bytes."),
    Setting("REQUEST_MAX_BYTES", "REQUEST_MAX_BYTES", 105 * 1024 * 1024, int,
            "Largest request body (a reply with several attachments), in bytes."),
    Setting("RELAYDESK_ADMIN_USERNAME", "ADMIN_USERNAME", "admin", str,
            "Admin created on first start of `relaydesk run`, or by `relaydesk setup` (which "
            "needs a password of 12 characters or more, never the default)."),
    Setting("RELAYDESK_ADMIN_PASSWORD", "ADMIN_PASSWORD", "admin", str,
            "Password of that admin (printed at start-up)."),
    Setting("RELAYDESK_ADMIN_EMAIL", "ADMIN_EMAIL", "admin@example.com", str,
            "E-mail of that admin."),
    Setting("RELAYDESK_SEED_DEMO", "SEED_DEMO", True, _bool,
            "`relaydesk run` seeds demo data into an empty database."),
    Setting("JWT_ACCESS_TOKEN_MINUTES", "JWT_ACCESS_TOKEN_MINUTES", 60, int,
            "Lifetime of an API access token."),
    Setting("API_MAX_PAGE_SIZE", "FAB_API_MAX_PAGE_SIZE", 100, int,
            "Largest page a list API returns."),
    Setting("SMTP_HOST", "SMTP_HOST", "127.0.0.1", str, "SMTP relay for outgoing mail."),
    Setting("SMTP_PORT", "SMTP_PORT", 25, int, "Port of the SMTP relay."),
    Setting("SMTP_USERNAME", "SMTP_USERNAME", "", str, "SMTP login (empty: none)."),
    Setting("SMTP_PASSWORD", "SMTP_PASSWORD", "", str, "SMTP password."),
    Setting("SMTP_STARTTLS", "SMTP_STARTTLS", False, _bool, "Use STARTTLS with the relay."),
    Setting("MAIL_FROM", "MAIL_FROM", "support@relaydesk.local", str,
            "Sender address of outgoing mail."),
    Setting("MAIL_BRAND_NAME", "MAIL_BRAND_NAME", "Relaydesk Support", str,
            "Sender name of outgoing mail (a support address's own name wins)."),
    Setting("SMTPD_HOST", "SMTPD_HOST", "127.0.0.1", str,
            "Address `relaydesk smtpd` (the mail intake) listens on."),
    Setting("SMTPD_PORT", "SMTPD_PORT", 2525, int, "Port of the mail intake."),
    Setting("MAIL_MAX_BYTES", "MAIL_MAX_BYTES", 40 * 1024 * 1024, int,
            "Largest inbound mail accepted (SMTP and HTTP), in bytes."),
    Setting("MAIL_FREEMAIL_DOMAINS", "MAIL_FREEMAIL_DOMAINS", "<built-in>", str,
            "Comma list of free-mail domains whose senders never create an organization; "
            "`<built-in>` stands for common ones (gmail.com, outlook.com, uol.com.br, …)."),
    Setting("MAIL_CREATE_ORGANIZATIONS", "MAIL_CREATE_ORGANIZATIONS", True, _bool,
            "A sender from an unknown company domain creates that organization."),
    Setting("MAIL_NEVER_FOLLOW", "MAIL_NEVER_FOLLOW", "", str,
            "Comma list of addresses (or @domain) never made followers from Cc nor sent "
            "notifications; the support addresses never are."),
    Setting("MAIL_AUTOREPLY_LIMIT", "MAIL_AUTOREPLY_LIMIT", 5, int,
            "Most automatic mails (acknowledgements, notifications of mail from customers) "
            "sent to one address per window."),
    Setting("MAIL_AUTOREPLY_WINDOW_MINUTES", "MAIL_AUTOREPLY_WINDOW_MINUTES", 60, int,
            "The window of that limit, in minutes."),
    Setting("HUB_RETRY_SCHEDULE", "HUB_RETRY_SCHEDULE", "0,5s,5m,30m,2h,5h,10h,10h", str,
            "Delays before each delivery attempt (Svix's schedule); dead after the last."),
    Setting("HUB_RETRY_JITTER", "HUB_RETRY_JITTER", 0.1, float,
            "Random ± fraction applied to each retry delay."),
    Setting("HUB_LEASE_SECONDS", "HUB_LEASE_SECONDS", 60.0, float,
            "How long a running delivery is leased before another worker may take it back."),
    Setting("HUB_MAX_DEPTH", "HUB_MAX_DEPTH", 5, int,
            "How many recipe actions may trigger each other in a chain (loop bound)."),
    Setting("HUB_BATCH_SIZE", "HUB_BATCH_SIZE", 50, int,
            "Events one worker job matches per pass (deliveries are claimed one by one)."),
    Setting("HUB_SWEEP_GRACE_SECONDS", "HUB_SWEEP_GRACE_SECONDS", 30.0, float,
            "Events not processed after this long are enqueued again by the sweeper."),
    Setting("HUB_LANES", "HUB_LANES", 8, int,
            "Deliveries one `relaydesk worker` runs at once (threads; one stays for "
            "internal actions)."),
    Setting("HUB_LANES_PER_DESTINATION", "HUB_LANES_PER_DESTINATION", 2, int,
            "Of those, how many may call the same webhook endpoint or vendor step at once."),
    Setting("HEALTH_WORKER_WINDOW_SECONDS", "HEALTH_WORKER_WINDOW_SECONDS", 30.0, float,
            "/health counts the workers that sent a heartbeat within this many seconds."),
    Setting("HEALTH_REQUIRE_WORKERS", "HEALTH_REQUIRE_WORKERS", True, _bool,
            "/health answers 503 when events or deliveries wait and no worker is alive."),
    Setting("HUB_INPROCESS_RUNNER", "HUB_INPROCESS_RUNNER", True, _bool,
            "Without REDIS_URL, work the ledger in a thread of the web process."),
    Setting("SCHEDULER_INTERVAL_SECONDS", "SCHEDULER_INTERVAL_SECONDS", 5.0, float,
            "How often the scheduler sweeps events, due deliveries and timers."),
    Setting("CONNECTION_KEY", "CONNECTION_KEY", "", str,
            "Fernet key(s) encrypting connector credentials, comma-separated (the first "
            "encrypts, all decrypt); empty: one generated into <DATA_DIR>/connection.key."),
    Setting("CONNECTOR_TIMEOUT_SECONDS", "CONNECTOR_TIMEOUT_SECONDS", 30.0, float,
            "How long a connector waits for a vendor's answer."),
    Setting("WEBHOOK_ALLOWED_NETWORKS", "WEBHOOK_ALLOWED_NETWORKS", "", _networks,
            "Comma list of addresses or networks (CIDR) that webhooks, REST hooks and the HTTP "
            "request action may reach although they are private, loopback or link-local "
            "(refused otherwise), e.g. 10.20.0.0/16."),
    Setting("WEBHOOK_TIMEOUT_SECONDS", "WEBHOOK_TIMEOUT_SECONDS", 10.0, float,
            "How long an outbound webhook POST waits for the receiver's answer."),
    Setting("WEBHOOK_DISABLE_AFTER", "WEBHOOK_DISABLE_AFTER", "5d", _duration,
            "An endpoint failing without a success for this long is disabled and admins are "
            "told (s, m, h or d)."),
    Setting("WEBHOOK_SECRET_GRACE", "WEBHOOK_SECRET_GRACE", "24h", _duration,
            "After a secret rotation, how long the old secret keeps signing beside the new one."),
    Setting("INBOUND_WEBHOOK_MAX_BYTES", "INBOUND_WEBHOOK_MAX_BYTES", 1024 * 1024, int,
            "Largest inbound webhook request body accepted, in bytes."),
    Setting("PUBLIC_URL", "PUBLIC_URL", "http://127.0.0.1:5000", str,
            "Address customers reach this server at: links in mail (sign-in, ratings) use it."),
    Setting("PORTAL_SIGN_IN_RATE_LIMIT", "PORTAL_SIGN_IN_RATE_LIMIT", "10 per minute", str,
            "Password sign-in attempts per client address and e-mail."),
    Setting("PORTAL_LINK_RATE_LIMIT", "PORTAL_LINK_RATE_LIMIT", "5 per hour", str,
            "One-time sign-in links sent per e-mail address."),
    Setting("PUBLIC_FORM_RATE_LIMIT", "PUBLIC_FORM_RATE_LIMIT", "20 per minute", str,
            "Public posts (web forms, widget chats) per client address."),
    Setting("LOGIN_RATE_LIMIT", "LOGIN_RATE_LIMIT", "10 per 15 minutes", _rate_limit,
            "Failed staff sign-ins (screen and API) per account; further attempts, even with "
            "the right password, get 429 until the window ends."),
    Setting("LOGIN_ADDRESS_RATE_LIMIT", "LOGIN_ADDRESS_RATE_LIMIT", "30 per 15 minutes",
            _rate_limit, "Failed staff sign-ins per client address (any account)."),
    Setting("SESSION_COOKIE_SECURE", "SESSION_COOKIE_SECURE", False, _bool,
            "Send the sign-in cookie over HTTPS only: set it to true behind HTTPS."),
    Setting("TRUSTED_PROXIES", "TRUSTED_PROXIES", 0, _proxy_count,
            "How many reverse proxies (nginx, a load balancer) stand in front of the web "
            "processes: the client's address and scheme are then read from the last that many "
            "X-Forwarded-For / X-Forwarded-Proto entries, so per-address limits count clients, "
            "not the proxy. 0: no proxy header is trusted."),
    Setting("PORTAL_LINK_MINUTES", "PORTAL_LINK_MINUTES", 30, int,
            "How long a one-time sign-in link stays valid."),
    Setting("LOG_LEVEL", "LOG_LEVEL", "INFO", str, "Log level (structured JSON lines)."),
)


def _expand(value: Any, data_dir: str) -> Any:
    if isinstance(value, str) and "<DATA_DIR>" in value:
        return value.replace("<DATA_DIR>", data_dir)
    return value


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the app's config: defaults, overridden by the environment."""
    environ = os.environ if environ is None else environ
    data_dir = os.path.abspath(environ.get("RELAYDESK_DATA_DIR", "var"))
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        if raw is None:
            config[setting.key] = _expand(setting.default, data_dir)
            continue
        try:
            config[setting.key] = setting.parse(raw)
        except ValueError as exc:
            raise ValueError(f"environment variable {setting.env}: {exc}") from exc
    config["DATA_DIR"] = data_dir
    return config


def fixed() -> dict[str, Any]:
    """Settings that are not meant to be changed by deployment."""
    return {
        "APP_NAME": "Relaydesk",
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "AUTH_TYPE": 1,  # flask_appbuilder.const.AUTH_DB
        "AUTH_ROLE_ADMIN": "Admin",
        "AUTH_ROLE_PUBLIC": "Public",
        # FAB's role/permission admin APIs fail to build with marshmallow-sqlalchemy 1.6;
        # the login API (/api/v1/security/login) is registered regardless.
        "FAB_ADD_SECURITY_API": False,
        "FAB_API_SWAGGER_UI": True,
        # Tables come from Alembic migrations (`relaydesk db upgrade`), not from FAB.
        "FAB_CREATE_DB": False,
        # Roles are built in (FAB_ROLES), so no permission rows need writing at start-up.
        "FAB_UPDATE_PERMS": False,
        "WTF_CSRF_ENABLED": True,
        # The sign-in cookie: never readable by scripts, not sent on other sites' cross-site
        # posts (SESSION_COOKIE_SECURE is a setting: it needs HTTPS).
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Flask-Limiter (created by FAB) guards the customer sign-in, link and form routes,
        # and counts failed staff sign-ins (LOGIN_RATE_LIMIT, webapp/security/login_limits.py);
        # FAB's own AUTH_RATE_LIMITED stays off: it limits only the form, and every attempt.
        "RATELIMIT_ENABLED": True,
        "AUTH_RATE_LIMITED": False,
        # API keys (Authorization: Bearer rdk_… or X-API-Key: rdk_…) besides JWT; admins
        # make them for a user (API → /api/v1/api_key/, or the API keys screen).
        "FAB_API_KEY_ENABLED": True,
        "FAB_API_KEY_PREFIXES": ["rdk_"],
        "LANGUAGES": {
            "en": {"flag": "gb", "name": "English"},
            "pt": {"flag": "br", "name": "Português"},
            "es": {"flag": "es", "name": "Español"},
        },
    }


def markdown_table() -> str:
    """The README's configuration table."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        rows.append(f"| `{s.env}` | `{s.default}` | {s.help} |")
    return "\n".join(rows)


def sqlite_path(uri: str) -> Path | None:
    """The file behind a sqlite URI, if it is one."""
    if uri.startswith("sqlite:///"):
        return Path(uri[len("sqlite:///"):])
    return None
