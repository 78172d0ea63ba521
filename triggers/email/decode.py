"""Text out of mail bytes: charsets (with the aliases real mail needs), RFC 2047 encoded
words, and sender/recipient addresses from headers that are often malformed."""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import getaddresses

from charset_normalizer import from_bytes

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


#: Codecs charset-normalizer tells apart reliably even in a few bytes of a header: the
#: multi-byte ones. A single-byte guess on a name is a coin toss, so Windows-1252 (what
#: such mail mostly is) wins unless the mail itself declares a charset.
_DETECTABLE = frozenset({"shift_jis", "cp932", "euc_jp", "iso2022_jp", "gb18030", "gb2312",
                         "big5", "big5hkscs", "cp949", "euc_kr", "cp950"})


def detect_codec(data: bytes, hint: str | None = None) -> str:
    """The codec of 8-bit text that declares no charset (raw bytes in a header): UTF-8
    when it is valid UTF-8 (RFC 6532 mail, and most mail today), else ``hint`` (the
    charset the mail declares for its text) when it decodes cleanly, else a multi-byte
    charset ``charset-normalizer`` detects, else Windows-1252."""
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    codec = codec_for(hint)
    if codec and codec != "utf-8":
        try:
            data.decode(codec)
            return codec
        except (UnicodeDecodeError, LookupError):
            pass
    best = from_bytes(data).best() if len(data) >= 4 else None
    if best is not None and best.encoding in _DETECTABLE:
        return str(best.encoding)
    return "cp1252"


def detect_bytes(data: bytes, hint: str | None = None) -> str:
    """``data`` as text by ``detect_codec`` (bytes it cannot map are replaced)."""
    codec = detect_codec(data, hint)
    return data.decode(codec, errors="replace") if codec != "cp1252" else decode_bytes(data)


def unescape_raw(value: str) -> str:
    """A header value the parser read with surrogate escapes (8-bit bytes sent without
    encoding, common in old clients and RFC 6532 mail) as real text. The value may mix
    them with text already decoded (an encoded word beside raw bytes)."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return detect_bytes(value.encode("utf-8", "surrogateescape"))


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


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=")  # spaces: real mail


def _decode_word(charset: str, encoding: str, text: str) -> str | None:
    """One RFC 2047 encoded word's text, or None when it does not decode."""
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*en
    try:
        if encoding in "Bb":
            data = base64.b64decode(text + "=" * (-len(text) % 4))
        else:
            data = quopri.decodestring(text.replace("_", " ").encode("ascii"), header=True)
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return None
    return decode_bytes(data, charset)


def decode_words(value: str | None) -> str:
    """A header value with RFC 2047 encoded words decoded (each word in its own charset),
    on one line. Whitespace between two adjacent encoded words is dropped, as the RFC says;
    whitespace between text and an encoded word — a fold right before the word, say — is
    kept (the stdlib's ``decode_header`` loses it: "Re: Your orderÜberweisung")."""
    if not value:
        return ""
    value = unescape_raw(str(value))
    pieces: list[str] = []
    position, last_was_word = 0, False
    for match in _ENCODED_WORD.finditer(value):
        between = value[position:match.start()]
        decoded = _decode_word(*match.groups())
        if decoded is None:  # a broken encoded word: keep it as it came
            pieces.append(between + match.group(0))
            last_was_word = False
        else:
            if not (last_was_word and not between.strip()):
                pieces.append(between)
            pieces.append(decoded)
            last_was_word = True
        position = match.end()
    pieces.append(value[position:])
    return _WHITESPACE.sub(" ", "".join(pieces)).strip()


@dataclass(frozen=True)
class MailAddress:
    email: str  # lower case
    name: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


# Control characters (NUL included) are never part of an address a person could have sent.
# The domain may be internationalized (RFC 6532: jdöe@mächine.example): letters of any script.
_ADDR_SPEC = re.compile(
    r"^[^@\s<>\"(),;:\[\]\\\x00-\x1f\x7f]+@(?:[^\W_]|-)+(\.(?:[^\W_]|-)+)*$")
_ANGLE = re.compile(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>")


def is_address(value: str) -> bool:
    return len(value or "") <= 254 and bool(_ADDR_SPEC.match(value or ""))


def canonical_address(spec: str) -> str:
    """An address as we store and compare it: lower case, an internationalized domain
    (RFC 6532: jdöe@mächine.example) as its IDNA A-label (jdöe@xn--mchine-eua.example) —
    the same mailbox, in the form DNS, relays and our address rules read. The local part
    is kept as sent (it may be UTF-8 too)."""
    local, _, domain = spec.lower().rpartition("@")
    if domain.isascii():
        return spec.lower()
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:  # not a valid IDN: kept as sent, and the address rules decide
        return spec.lower()


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
            found.append(MailAddress(canonical_address(spec), _clean_name(name, spec.lower())))
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
                found.append(MailAddress(canonical_address(spec),
                                         _clean_name(name, spec.lower())))
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
    if first is not None and (not angles or first.email in map(canonical_address, angles)):
        name = _display_name(raw, first.email) or first.name or _comment_name(raw, first.email)
        return MailAddress(first.email, name)
    if angles and is_address(angles[0]):
        email = angles[0]
        before = raw[: raw.lower().index(f"<{email}") if f"<{email}" in raw.lower() else 0]
        before = before.split(",")[-1] if raw.count("<") > 1 else before
        return MailAddress(canonical_address(email), _clean_name(before, email))
    if not any(ch in raw for ch in '<>"'):
        tokens = raw.split()
        if tokens and is_address(tokens[-1]):
            email = tokens[-1].lower()
            return MailAddress(canonical_address(email),
                               _clean_name(" ".join(tokens[:-1]), email))
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
