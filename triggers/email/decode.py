"""Text out of mail bytes: charsets (with the aliases real mail needs), RFC 2047 encoded
words, and sender/recipient addresses from headers that are often malformed."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from email.header import decode_header
from email.headerregistry import Address
from email.utils import getaddresses

# Labels seen in real mail that Python does not know, or knows as a narrower charset than the
# senders meant (GB2312 mail is routinely GBK; ISO-8859-1 mail is routinely Windows-1252).
_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "euc-kr": "cp949",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "",
    "ascii": "", "iso-8859-8-i": "iso-8859-8", "windows-874": "cp874",
    "x-mac-roman": "mac_roman", "macintosh": "mac_roman", "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8", "x-unknown": "", "unknown-8bit": "", "unknown": "", "default": "",
    "x-user-defined": "", "_iso-2022-jp$esc": "iso-2022-jp", "shift-jis": "shift_jis",
    "sjis": "shift_jis", "x-sjis": "shift_jis", "iso-2022-jp": "iso2022_jp_ext",
}


def codec_for(charset: str | None) -> str | None:
    """A Python codec name for a declared charset, or None when unknown or not declared."""
    if not charset:
        return None
    label = charset.strip().strip('"').strip("'").lower()
    label = _ALIASES.get(label, label)
    if not label:
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Bytes as text: the declared charset if it decodes cleanly, else UTF-8, else
    Windows-1252 (which maps nearly every byte), else the declared one with replacements."""
    declared = codec_for(charset)
    for codec in dict.fromkeys(c for c in (declared, "utf-8", "cp1252") if c):
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(declared or "latin-1", errors="replace")


def unescape_raw(value: str) -> str:
    """A header value the parser read as ASCII with surrogate escapes (8-bit bytes sent
    without encoding, common in spam and old clients) as real text."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_bytes(value.encode("ascii", "surrogateescape"))


_WHITESPACE = re.compile(r"\s+")
_NUL = "\x00"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(value: str) -> str:
    """``value`` as text a database keeps: without NUL characters (PostgreSQL refuses them
    in text, SQLite cuts the text there; mail decodes to them from ``=00``, base64, or a
    charset such as ISO-2022-JP) and with a lone surrogate (undecodable bytes the stdlib
    kept) as U+FFFD, which no UTF-8 driver could send."""
    if _NUL in value:
        value = value.replace(_NUL, "")
    return _LONE_SURROGATE.sub("\ufffd", value)


def decode_words(value: str | None) -> str:
    """A header value with RFC 2047 encoded words decoded (each word in its own charset;
    whitespace between adjacent encoded words dropped, as the RFC says), on one line."""
    if not value:
        return ""
    value = unescape_raw(str(value))
    try:
        parts = decode_header(value)
    except Exception:  # a broken encoded word: keep the text as it came
        parts = [(value, None)]
    pieces = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            pieces.append(decode_bytes(chunk, charset))
        else:
            pieces.append(chunk)
    return _WHITESPACE.sub(" ", "".join(pieces)).strip()


@dataclass(frozen=True)
class MailAddress:
    email: str  # lower case
    name: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


# Control characters (NUL included) are never part of an address a person could have sent.
_ADDR_SPEC = re.compile(r"^[^@\s<>\"(),;:\[\]\\\x00-\x1f\x7f]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")
_ANGLE = re.compile(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>")


def is_address(value: str) -> bool:
    return len(value or "") <= 254 and bool(_ADDR_SPEC.match(value or ""))


def _clean_name(name: str, email: str) -> str:
    name = decode_words(name).strip().strip("'\"").strip()
    return "" if name.lower() == email else _WHITESPACE.sub(" ", name)


def _from_parsed(addresses: list[Address]) -> list[MailAddress]:
    found = []
    for address in addresses:
        try:
            spec = address.addr_spec
            name = address.display_name or ""
        except Exception:
            continue
        if is_address(spec):
            found.append(MailAddress(spec.lower(), _clean_name(name, spec.lower())))
    return found


def parse_addresses(raw: str | None, parsed: list[Address] | None = None) -> list[MailAddress]:
    """Every well-formed address in a To/Cc-style header (malformed ones are left out).

    ``parsed`` is what the stdlib's header parser made of the value, when it could.
    """
    if not raw:
        return []
    raw = unescape_raw(str(raw))
    found = _from_parsed(parsed or [])
    if not found:
        for name, spec in getaddresses([raw]):
            if is_address(spec):
                found.append(MailAddress(spec.lower(), _clean_name(name, spec.lower())))
    return list({a.email: a for a in reversed(found)}.values())[::-1]


def parse_sender(raw: str | None, parsed: list[Address] | None = None) -> MailAddress | None:
    """The author of a mail from its From header, tolerating what real mail does:
    an address as display name (``a@x <b@y>``), unencoded 8-bit names, several addresses
    (the first counts), a bare ``Name addr@host`` without brackets."""
    if not raw:
        return None
    raw = unescape_raw(str(raw))
    angles = [a.lower() for a in _ANGLE.findall(raw)]
    candidates = _from_parsed(parsed or [])
    first = candidates[0] if candidates else None
    if first is not None and (not angles or first.email in angles):
        name = _display_name(raw, first.email) or first.name or _comment_name(raw, first.email)
        return MailAddress(first.email, name)
    if angles and is_address(angles[0]):
        email = angles[0]
        before = raw[: raw.lower().index(f"<{email}") if f"<{email}" in raw.lower() else 0]
        before = before.split(",")[-1] if raw.count("<") > 1 else before
        return MailAddress(email, _clean_name(before, email))
    if not any(ch in raw for ch in '<>"'):
        tokens = raw.split()
        if tokens and is_address(tokens[-1]):
            email = tokens[-1].lower()
            return MailAddress(email, _clean_name(" ".join(tokens[:-1]), email))
    return None


_COMMENT = re.compile(r"\(([^()]*)\)")


def _comment_name(raw: str, email: str) -> str:
    """The old ``addr@host (Full Name)`` form: the comment is the name."""
    match = _COMMENT.search(raw)
    return _clean_name(match.group(1), email) if match else ""


def _display_name(raw: str, email: str) -> str:
    """The display name in front of the (single) angle address, RFC 2047-decoded.

    The stdlib keeps the space between two adjacent encoded words and splits names with a
    comma inside an encoded word; decoding the raw text before the bracket does neither.
    """
    if "=?" not in raw or raw.count("<") != 1:
        return ""
    return _clean_name(raw.split("<", 1)[0], email)
