"""Raw RFC 822 bytes → a ``ParsedMail``: headers, people, sanitized HTML with derived text,
and the attachments (inline images included), from the stdlib ``email`` package with
``policy.default`` plus the repairs real-world mail needs. Pure: no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html as html_lib
import mimetypes
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from triggers.email.decode import (
    MailAddress,
    decode_bytes,
    decode_words,
    detect_codec,
    parse_addresses,
    parse_sender,
    storable_text,
)
from triggers.email.errors import Unparseable
from triggers.email.tnef import is_tnef, tnef_files
from webapp.content.html import html_to_text, sanitize_html

MAX_MESSAGE_ID = 250


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str  # as declared; the store detects the real type from the bytes
    data: bytes
    content_id: str | None = None
    inline: bool = False


@dataclass
class ParsedMail:
    subject: str
    sender: MailAddress | None
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    reply_to: list[MailAddress]
    to: list[MailAddress]
    cc: list[MailAddress]
    delivered_to: list[str]
    date: dt.datetime | None
    raw_html: str  # the body as received (unsafe: only for quote trimming, then sanitize)
    html: str  # sanitized body
    text: str  # plain text of the body
    content_type: str  # text/html or text/plain: what the body came as
    plain_alternative: str | None  # the text/plain alternative of an HTML body, if sent
    attachments: list[ParsedAttachment]
    headers: dict[str, list[str]]  # lower-case name → decoded values
    top_content_type: str
    embedded_message_ids: list[str]  # of mails attached to this one (bounces quote ours)
    defects: list[str] = field(default_factory=list)
    part_types: list[str] = field(default_factory=list)  # of every MIME part, in order

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers: In-Reply-To first, then References newest first."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))


# ---------------------------------------------------------------- entry point


_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")


_MAX_HEADER_LINES = 1000


def _repair_start(raw: bytes) -> bytes:
    """Drop a byte-order mark, blank lines and non-header lines (``---- Original email
    message ----``) in front of the first header, and turn stray lines inside the header
    block (a folded line that lost its indent) into continuations: either would otherwise
    end the headers early."""
    raw = raw.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")
    if raw[:1] in (b" ", b"\t") and _HEADER_LINE.match(raw.lstrip(b" \t")):
        raw = raw.lstrip(b" \t")  # a first header indented: a fold of nothing, so a header
    lines = raw.splitlines(keepends=True)
    start = 0
    if not (raw.startswith(b"From ") or _HEADER_LINE.match(raw)):
        start = next((i for i, line in enumerate(lines[:30]) if _HEADER_LINE.match(line)), 0)
    end = next((i for i, line in enumerate(lines[start:start + _MAX_HEADER_LINES], start)
                if not line.strip()), None)
    if end is None:
        return b"".join(lines[start:])
    head = lines[start:end]
    last_header = max((i for i, line in enumerate(head) if _HEADER_LINE.match(line)),
                      default=-1)
    for i in range(1, last_header):
        line = head[i]
        if not _HEADER_LINE.match(line) and line[:1] not in (b" ", b"\t"):
            head[i] = b" " + line
    return b"".join(_utf8_headers(head, raw) + lines[end:])


_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)


def _utf8_headers(head: list[bytes], raw: bytes) -> list[bytes]:
    """Header lines with raw 8-bit bytes in a charset other than UTF-8, as UTF-8: decoded
    together (a name and a subject tell more than one alone) by the charset the mail
    declares for its text, else by detection — the stdlib would keep them as undecodable
    bytes that later read as Latin-1."""
    eight_bit = [i for i, line in enumerate(head) if max(line, default=0) > 0x7F]
    if not eight_bit:
        return head
    joined = b"".join(head[i] for i in eight_bit)
    try:
        joined.decode("utf-8")
        return head  # UTF-8 already (RFC 6532): the decoders read it as such
    except UnicodeDecodeError:
        pass
    declared = [m.group(1).decode("ascii", "replace") for m in _CHARSET.finditer(raw[:65536])]
    hint = next((c for c in declared if c.lower() not in ("us-ascii", "utf-8", "utf8")), None)
    codec = detect_codec(joined, hint)
    head = list(head)
    for i in eight_bit:
        head[i] = (decode_bytes(head[i]) if codec == "cp1252" else
                   head[i].decode(codec, errors="replace")).encode("utf-8")
    return head


def parse_message(raw: bytes) -> ParsedMail:
    """Parse ``raw``; ``Unparseable`` if it is not an e-mail message at all."""
    if not raw or not raw.strip():
        raise Unparseable("the message is empty")
    message = message_from_bytes(_repair_start(raw), policy=policy.default)
    headers = _headers(message)
    if not headers:
        raise Unparseable("no header lines: this is not an e-mail message (RFC 5322)")
    body = _Body()
    body.collect(message)
    raw_html, html, text, content_type = body.result()
    return _storable(ParsedMail(
        subject=decode_words(_raw(message, "subject")),
        sender=parse_sender(_raw(message, "from"), _parsed_addresses(message, "from")),
        message_id=_message_ids(_raw(message, "message-id"))[:1][0]
        if _message_ids(_raw(message, "message-id")) else None,
        in_reply_to=_message_ids(_raw(message, "in-reply-to")),
        references=_message_ids(_raw(message, "references")),
        reply_to=_all_addresses(message, "reply-to"),
        to=_all_addresses(message, "to"),
        cc=_all_addresses(message, "cc"),
        delivered_to=[a.email for name in ("delivered-to", "x-original-to", "envelope-to")
                      for a in _all_addresses(message, name)],
        date=_date(_raw(message, "date")),
        raw_html=raw_html,
        html=html,
        text=text,
        content_type=content_type,
        plain_alternative=body.plain_alternative,
        attachments=body.attachments,
        headers=headers,
        top_content_type=message.get_content_type(),
        embedded_message_ids=body.embedded_message_ids,
        defects=[type(d).__name__ for d in message.defects],
        part_types=_part_types(message),
    ))


def _part_types(message: Message) -> list[str]:
    """Content types of every part (reports and returned mails are told by these)."""
    try:
        return [part.get_content_type() for part in message.walk()][:200]
    except Exception:  # a broken tree: what the top says is all we know
        return [message.get_content_type()]


_T = TypeVar("_T")


def _storable(value: _T) -> _T:
    """Every text in ``value`` (a ``ParsedMail`` and what it holds) as ``storable_text``:
    done once here, where text leaves the parser, so nothing read from a mail can make the
    database refuse the mail. Bytes (attachment contents) are kept as they are."""
    if isinstance(value, str):
        return storable_text(value)  # type: ignore[return-value]
    if isinstance(value, list):
        return [_storable(v) for v in value]  # type: ignore[return-value]
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{  # type: ignore[return-value]
            f.name: _storable(getattr(value, f.name)) for f in dataclasses.fields(value)
            if f.init})
    return value


# ---------------------------------------------------------------- headers


def _headers(message: Message) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        found.setdefault(name.strip().lower(), []).append(decode_words(value))
    return found


def _raw(message: Message, name: str) -> str | None:
    """The undecoded value of the first ``name`` header (encoded words kept)."""
    for key, value in message.raw_items():
        if key.strip().lower() == name:
            return str(value)
    return None


def _parsed_addresses(message: Message, name: str) -> list[Any]:
    try:
        header = message.get(name)
        return list(getattr(header, "addresses", ()) or ())
    except Exception:  # the stdlib gives up on some broken headers; we fall back
        return []


def _all_addresses(message: Message, name: str) -> list[MailAddress]:
    found: list[MailAddress] = []
    for key, value in message.raw_items():
        if key.strip().lower() != name:
            continue
        found += parse_addresses(str(value), None)
    return list({a.email: a for a in reversed(found)}.values())[::-1]


_ID_IN_BRACKETS = re.compile(r"<([^<>\s]+)>")


def _message_ids(value: str | None) -> list[str]:
    """Message-IDs without brackets; tolerates ids sent without them."""
    if not value:
        return []
    value = decode_words(value)
    ids = _ID_IN_BRACKETS.findall(value)
    if not ids:
        ids = [token.strip("<>,;") for token in value.split() if "@" in token]
    return [i[:MAX_MESSAGE_ID] for i in dict.fromkeys(i.strip() for i in ids) if i]


def _date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(decode_words(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


# ---------------------------------------------------------------- body and attachments


_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_BODY = re.compile(r"<body[^>]*>(.*?)(</body\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_HEAD = re.compile(r"<head[^>]*>.*?</head\s*>|<title[^>]*>.*?</title\s*>", re.IGNORECASE
                   | re.DOTALL)
_DELIMITER = re.compile(rb"(?m)^--([^\s-][^\r\n]{2,69}?|-[^\r\n]{2,69}?)\s*$")
_FORWARDED = ("message/rfc822", "message/global")
_FORWARD_LINE = "---------- Forwarded message ----------"
_EXTENSIONS = {"message/delivery-status": ".txt", "text/rfc822-headers": ".txt",
               "message/rfc822": ".eml", "text/plain": ".txt", "application/octet-stream": ".bin",
               "message/disposition-notification": ".txt"}


def _payload_bytes(part: Message) -> bytes:
    """The decoded content of a part (base64, quoted-printable, uuencode); for message/*
    parts, the embedded message or report as it was sent."""
    if part.get_content_maintype() == "message":
        data = part.as_bytes(policy=policy.compat32) if isinstance(part, EmailMessage) \
            else part.as_string().encode("utf-8", "surrogateescape")
        for separator in (b"\r\n\r\n", b"\n\n"):
            head, found, rest = data.partition(separator)
            if found:
                return rest
        return b""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _text_of(part: Message, subtype: str | None = None) -> str:
    data = _payload_bytes(part)
    charset = part.get_content_charset()
    if charset is None and (subtype or part.get_content_subtype()) == "html":
        meta = _META_CHARSET.search(data[:4096])
        charset = meta.group(1).decode("ascii") if meta else None
    return decode_bytes(data, charset).replace("\r\n", "\n").replace("\r", "\n")


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs (escaped; single line breaks kept)."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return "".join(
        "<p>" + "<br>".join(html_lib.escape(line) for line in block.split("\n")) + "</p>"
        for block in paragraphs if block.strip()
    )


_HTML_START = re.compile(r"<html\b", re.IGNORECASE)
_PROLOGUE = re.compile(r"<!DOCTYPE[^>]*>|<\?xml[^>]*\?>|<!--.*?-->", re.IGNORECASE | re.DOTALL)


def body_of_document(value: str) -> str:
    """What is inside ``<body>`` of an HTML document (all of it if there is none), without
    the head and title — with any text the sender put before ``<html>`` (a mailer's
    plain-text lead-in, a signature tool's note) in front, as readers show it."""
    match = _BODY.search(value)
    body = _HEAD.sub("", match.group(1) if match else value)
    start = _HTML_START.search(value)
    lead = _PROLOGUE.sub("", value[:start.start()]) if start and match else ""
    if lead.strip():
        body = (lead if "<" in lead else text_to_html(lead)) + body
    return body


def clean_html(value: str) -> str:
    """The body of an HTML document, sanitized (no head, styles, scripts or comments)."""
    return sanitize_html(body_of_document(value)).strip()


def _is_body_text(part: Message, ctype: str | None = None) -> str | None:
    """"plain" or "html" for a part that is (a piece of) the body, else None."""
    ctype = ctype or part.get_content_type()
    if ctype not in ("text/plain", "text/html") or part.get_content_disposition() == \
            "attachment" or part.get_filename():
        return None
    return ctype[5:]


_RAW_NAME = re.compile(r"""(?:^|;)\s*(?:file)?name\s*=\s*([^";\r\n][^;\r\n]*)""",
                       re.IGNORECASE)


def _raw_parameter_name(part: Message) -> str | None:
    """A file name the stdlib misreads because the sender did not quote it: an encoded
    word (``filename==?utf-8?B?…?=``) or a name with spaces (``name=This is a test.txt``)."""
    for header in ("content-disposition", "content-type"):
        for key, value in part.raw_items():
            if key.strip().lower() != header:
                continue
            found = _RAW_NAME.search(re.sub(r"\r?\n[ \t]+", " ", str(value)))
            if found:
                return decode_words(found.group(1).strip()) or None
    return None


def _filename(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name and "=?" in name:
        name = decode_words(name)
    unquoted = _raw_parameter_name(part)
    if unquoted and (not name or (unquoted.startswith(name) and len(unquoted) > len(name))):
        name = unquoted
    ctype = part.get_content_type()
    if not name and ctype == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        subject = decode_words(str(inner.get("subject", ""))) if isinstance(
            inner, Message) else ""
        name = subject or decode_words(part.get("content-description", "")) or "message"
        return f"{name}.eml"
    if not name:
        description = decode_words(part.get("content-description", ""))
        extension = _EXTENSIONS.get(ctype) or mimetypes.guess_extension(ctype) or ".bin"
        if not description and (ctype.startswith("message/") or ctype == "text/rfc822-headers"):
            description = ctype.split("/", 1)[1]  # delivery-status.txt, rfc822-headers.txt
        name = f"{description}{extension}" if description else f"attachment-{index}{extension}"
    return name.strip() or f"attachment-{index}"


class _Body:
    """Walks the MIME tree: the chosen alternative of each body part, everything else as
    attachments (a non-chosen text alternative is dropped, as mail clients do)."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, str]] = []  # (subtype, text) in order
        self.plain_alternative: str | None = None
        self.attachments: list[ParsedAttachment] = []
        self.embedded_message_ids: list[str] = []
        self.forwarded: dict[int, str] = {}  # index in parts → the forwarded mail as HTML

    def collect(self, part: Message, attachments_only: bool = False) -> None:
        ctype = part.get_content_type()
        if ctype.startswith("message/") or ctype == "text/rfc822-headers":
            self._attach(part)
            self._note_embedded_ids(part)
            if ctype in _FORWARDED and not attachments_only:
                self._show_forwarded(part)
            return
        if ctype.startswith("multipart/") and not part.is_multipart():
            self._recover(part, attachments_only)
            return
        if part.is_multipart():
            children = [c for c in (part.get_payload() or []) if isinstance(c, Message)]
            if ctype == "multipart/alternative" and not attachments_only:
                best = self._best_alternative(children)
                for child in children:
                    if child is best:
                        self.collect(child)
                    elif _is_body_text(child) == "plain":
                        self.plain_alternative = _text_of(child, "plain")
                    else:
                        self.collect(child, attachments_only=True)
                return
            for child in children:
                self.collect(child, attachments_only)
            return
        subtype = _is_body_text(part, ctype)
        if subtype:
            if not attachments_only:
                self.parts.append((subtype, _text_of(part, subtype)))
            return
        self._attach(part)

    @staticmethod
    def _best_alternative(children: list[Message]) -> Message | None:
        """The richest alternative we can show: HTML (or a related/mixed group holding it),
        else plain text; the last one wins among equals (RFC 2046)."""
        def rank(child: Message) -> int:
            ctype = child.get_content_type()
            if ctype == "text/html":
                return 3
            if child.is_multipart() and any(p.get_content_type() == "text/html"
                                            for p in child.walk()):
                return 2
            if ctype == "text/plain":
                return 1
            return 0
        ranked = [(rank(c), i, c) for i, c in enumerate(children)]
        return max(ranked, key=lambda r: (r[0], r[1]))[2] if ranked else None

    def _recover(self, part: Message, attachments_only: bool) -> None:
        """A multipart part whose boundary never occurs (the sender declared one and used
        another): split it at the delimiter it does use, else take it as text."""
        data = _payload_bytes(part)
        found = _DELIMITER.search(data)
        if found is not None:
            boundary = found.group(1).decode("ascii", "replace")
            rebuilt = (f'Content-Type: {part.get_content_type()}; boundary="{boundary}"\r\n'
                       f"\r\n").encode() + data
            inner = message_from_bytes(rebuilt, policy=policy.default)
            if inner.is_multipart():
                self.collect(inner, attachments_only)
                return
        if data.strip() and not attachments_only:
            self.parts.append(("plain", decode_bytes(data, part.get_content_charset())))

    def _attach(self, part: Message) -> None:
        data = _payload_bytes(part)
        if not data.strip():
            return  # nothing to keep (an empty part, or one the sender cut off)
        content_id = (str(part.get("content-id") or "")).strip().strip("<>") or None
        attachment = ParsedAttachment(
            filename=_filename(part, len(self.attachments) + 1),
            content_type=part.get_content_type(), data=data,
            content_id=content_id, inline=part.get_content_disposition() != "attachment")
        self.attachments.append(attachment)
        if is_tnef(attachment):
            self.attachments += tnef_files(attachment.data)

    def _show_forwarded(self, part: Message) -> None:
        """A forwarded message (message/rfc822, attached or inline) shown in the body as
        mail clients show it — its sender, date, subject and text — besides the .eml kept."""
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            return
        body = _Body()
        body.collect(inner)
        raw_html, _, text, _ = body.result()
        sender = parse_sender(_raw(inner, "from"), _parsed_addresses(inner, "from"))
        lines = [("From", str(sender) if sender else decode_words(_raw(inner, "from"))),
                 ("Date", decode_words(_raw(inner, "date"))),
                 ("Subject", decode_words(_raw(inner, "subject"))),
                 ("To", ", ".join(str(a) for a in _all_addresses(inner, "to")))]
        lines = [(name, value) for name, value in lines if value]
        if not lines and not raw_html.strip():
            return
        # As text unless the mail's own body is HTML (decided in ``result``).
        shown = "".join(f"<br>{name}: {html_lib.escape(value)}" for name, value in lines)
        self.forwarded[len(self.parts)] = (
            f"<div><p>{_FORWARD_LINE}{shown}</p>{raw_html}</div>")
        self.parts.append(("plain", "\n".join(
            [_FORWARD_LINE, *(f"{name}: {value}" for name, value in lines), "", text])))

    def _note_embedded_ids(self, part: Message) -> None:
        text = _payload_bytes(part)[:65536].decode("utf-8", "replace")
        for match in re.finditer(r"(?im)^message-id:\s*(.+)$", text):
            self.embedded_message_ids += _message_ids(match.group(1))

    def result(self) -> tuple[str, str, str, str]:
        """(body HTML as received — for quote trimming —, sanitized HTML, text, and the
        content type the body came as)."""
        if not self.parts:
            return "", "", "", "text/plain"
        if any(subtype == "html" for subtype, _ in self.parts):
            self.parts = [("html", self.forwarded[i]) if i in self.forwarded else part
                          for i, part in enumerate(self.parts)]
            raw = "".join(body_of_document(t) if s == "html" else text_to_html(t)
                          for s, t in self.parts)
            html = sanitize_html(raw).strip()
            text = html_to_text(html)
            if text or "<img" in html or not (self.plain_alternative or "").strip():
                return raw, html, text, "text/html"
            # An HTML part with nothing to read (a layout table) beside a real text part.
            self.parts = [("plain", self.plain_alternative or "")]
        text = "\n\n".join(t.strip("\n") for _, t in self.parts)
        raw = text_to_html(text)
        return raw, sanitize_html(raw), text.strip(), "text/plain"
