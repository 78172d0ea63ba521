"""Removing the quoted earlier conversation from a reply, in plain text and in HTML.

Each line gets a marker — ``e`` empty, ``m`` quoted (``>``), ``s`` splitter (an attribution
such as "On …, X wrote:", "-----Original Message-----", a From:/Sent:/To: block, or a mail
client's quote container in HTML), ``f`` forwarded-message banner, ``t`` text — and the
quotation is found as a pattern over that string, the approach of mailgun/talon's
``extract_from_plain``. HTML is reduced to lines that remember where they start in the
source, so the cut is made in the original markup (sanitize afterwards).
Replies written between quoted lines are left whole. Pure: no database.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

MAX_LINES = 1500  # longer bodies are kept as they are (as talon does)

_INTRO = (r"(?:On|Le|W dniu|Op|Am|Em|El|På|Den|Vào|Il|Dne|Pada|Dana|Στις|В|Op|Den)")
_VERB = (r"(?:wrote|sent|a écrit|napisał|schreef|verzond|geschreven|schrieb|escreveu|"
         r"escribió|skrev|ha scritto|đã viết|napsal|написал|написала|kirjoitti|írta|menulis)")
_ON_WROTE = re.compile(rf"^[-\s>]*{_INTRO}\s(?=.*\d).{{0,300}}?\b{_VERB}\b[^:\n]{{0,120}}:\s*-*\s*$",
                       re.IGNORECASE)
_WROTE_BANNER = re.compile(rf"^\s*-{{2,}}\s*.{{1,100}}\s{_VERB}\s*-{{2,}}\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^\s*[-_=*]{2,}\s*(Original Message|Reply Message|Ursprüngliche Nachricht|"
    r"Originalnachricht|Antwort Nachricht|Oprindelig meddelelse|Mensagem original|"
    r"Mensaje original|Message d'origine|Messaggio originale|Oorspronkelijk bericht|"
    r"Originalmeddelande|Alkuperäinen viesti|Исходное сообщение|Původní zpráva)"
    r"\s*[-_=*]{2,}\s*$", re.IGNORECASE)
_FORWARD = re.compile(
    r"^\s*(-{2,}\s*(Forwarded message|Mensagem encaminhada|Mensaje reenviado|"
    r"Weitergeleitete Nachricht|Message transféré|Messaggio inoltrato)\s*-{2,}|"
    r"(Begin forwarded message|Anfang der weitergeleiteten Nachricht|"
    r"Início da mensagem encaminhada|Inicio del mensaje reenviado):)\s*$", re.IGNORECASE)
_FROM_LABEL = r"(?:From|Von|De|Van|Fra|Från|Da|Od|От|Lähettäjä|Feladó)"
_HEADER_LABEL = re.compile(
    rf"^\s*\*?(?:{_FROM_LABEL}|Date|Datum|Sent|Gesendet|Enviado|Enviada|Envoyé|Skickat|"
    r"Sendt|Data|Fecha|Wysłano|Отправлено|Subject|Betreff|Assunto|Asunto|Objet|Oggetto|"
    r"Emne|Ämne|Temat|Тема|To|An|Para|À|A|Aan|Til|Till|Do|Кому|Cc|Kopie|Reply-To)"
    r"\s?\*?\s?:\s*\S", re.IGNORECASE)
_FROM_LINE = re.compile(rf"^\s*\*?{_FROM_LABEL}\s?\*?\s?:\s*\S", re.IGNORECASE)
_DATE_OR_SUBJECT_LINE = re.compile(
    r"^\s*\*?(?:Date|Datum|Sent|Gesendet|Enviado|Enviada|Envoyé|Skickat|Sendt|Data|Fecha|"
    r"Wysłano|Отправлено|Subject|Betreff|Assunto|Asunto|Objet|Oggetto|Emne|Ämne|Temat|Тема)"
    r"\s?\*?\s?:\s*\S", re.IGNORECASE)
_RULE_LINE = re.compile(r"^\s*_{5,}\s*$")
# "02.04.2012 14:20 пользователь "bob@example.com" <bob@example.com> написал:",
# "2014-10-17 11:28 GMT+03:00 Bob <bob@example.com>:", mail.ru's "Thu, 26 Jun 2014 … <a@b>:"
_DATE_EMAIL = re.compile(
    r"^\s*(\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\S{2,10},? \d{1,2} \S{3,10}\.? \d{4}).{0,200}"
    r"\S+@\S+.{0,40}:\s*$")
_ANY_LABEL = re.compile(r"^\s*\*?[^\s:][^:]{0,25}:\s*\S")
_QUOTED = re.compile(r"^\s*>")
_LINK_ONLY = re.compile(r"^\s*[(<]?https?://\S+[)>]?\s*$")

HARD_HINT = "\x00"  # a mail client's own quote container starts on this line
SOFT_HINT = "\x01"  # a likely one (a rule above a header block)


def _splitter_length(lines: list[str], index: int) -> int:
    """How many lines (1–3) starting at ``index`` form a splitter, or 0."""
    line = lines[index]
    if _ORIGINAL.match(line) or _WROTE_BANNER.match(line):
        return 1
    window = line
    for length in range(1, 4):
        if length > 1:
            if index + length - 1 >= len(lines) or not lines[index + length - 1].strip():
                break
            window = f"{window} {lines[index + length - 1].strip()}"
        if len(window) > 400:
            break
        if _ON_WROTE.match(window) or _DATE_EMAIL.match(window):
            return length
    return _header_block_length(lines, index)


def _header_block_length(lines: list[str], index: int) -> int:
    """A quoted header block: "Label: value" lines with a From and a Date/Sent or Subject."""
    start = index + 1 if _RULE_LINE.match(lines[index]) else index
    end = start
    while end < len(lines) and _HEADER_LABEL.match(lines[end]):
        end += 1
    block = lines[start:end]
    if (len(block) >= 2 and any(_FROM_LINE.match(line) for line in block)
            and any(_DATE_OR_SUBJECT_LINE.match(line) for line in block)):
        return end - index
    return 0


def mark_lines(lines: list[str]) -> str:
    markers = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line == HARD_HINT:
            markers.append("s")
        elif line == SOFT_HINT:
            following = [x for x in lines[index + 1:index + 8] if x.strip()][:6]
            labels = sum(1 for x in following if _ANY_LABEL.match(x))
            markers.append("s" if labels >= 2 else "e")
        elif not line.strip():
            markers.append("e")
        elif _FORWARD.match(line):
            markers.append("f")
        else:
            length = _splitter_length(lines, index)
            if length:
                markers.extend("s" * length)
                index += length
                continue
            markers.append("m" if _QUOTED.match(line) else "t")
        index += 1
    return _attributions(lines, "".join(markers))


def _attributions(lines: list[str], markers: str) -> str:
    """A text line ending in a colon right above quoted lines, naming an address or a date
    ("Thu, 26 Jun 2014 … от Alexander <a@example.com>:"), introduces the quotation."""
    out = list(markers)
    for match in re.finditer(r"t(?=e*m)", markers):
        line = lines[match.start()].rstrip()
        if line.endswith(":") and len(line) < 300 and ("@" in line or re.search(r"\d", line)):
            out[match.start()] = "s"
    return "".join(out)


_INLINE_REPLY = re.compile(r"(?<=m)e*(t[te]*)m")
_SPLITTER_THEN_TEXT = re.compile(r"(?:se*)+(?:[tf]+e*)+")
_QUOTATION = re.compile(r"((?:s|(?:me*){2,}).*me*)[te]*$")
_EMPTY_QUOTATION = re.compile(r"((?:se*)+|(?:me*){2,})e*$")


def quotation_span(lines: list[str], markers: str | None = None) -> tuple[int, int] | None:
    """The [start, end) line range of the quotation, or None when there is none to remove."""
    if len(lines) > MAX_LINES:
        return None
    markers = markers if markers is not None else mark_lines(lines)
    for inline in _INLINE_REPLY.finditer(markers):
        # A long link can break a run of quoted lines without being an answer.
        if not _LINK_ONLY.match(lines[inline.start(1)]):
            return None
    found = _SPLITTER_THEN_TEXT.search(markers)
    if found:
        return found.start(), len(lines)
    found = _QUOTATION.search(markers) or _EMPTY_QUOTATION.search(markers)
    if found:
        return found.start(1), found.end(1)
    return None


def trim_text(text: str) -> str:
    """``text`` without its quotation; the whole text if nothing would be left."""
    lines = text.replace("\r\n", "\n").split("\n")
    span = quotation_span(lines)
    if span is None:
        return text
    kept = lines[:span[0]] + lines[span[1]:]
    reply = "\n".join(kept)
    return reply if reply.strip() else text


# ---------------------------------------------------------------- HTML

_BLOCK = {"address", "article", "aside", "blockquote", "br", "center", "dd", "div", "dl", "dt",
          "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol",
          "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul"}
_SKIP = {"head", "script", "style", "title", "xml"}
_HARD_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted", "outlookmessageheader",
                 "protonmail_quote", "zmail_extra", "x_gmail_quote")
_HARD_IDS = ("divrplyfwdmsg", "appendonsend", "stopspelling", "zwchr", "isforwardcontent",
             "mail-editor-reference-message-container", "x_divrplyfwdmsg", "reply-intro")


def _hint(tag: str, attrs: dict[str, str]) -> str | None:
    classes = attrs.get("class", "").lower()
    element_id = attrs.get("id", "").lower()
    if any(c in classes.split() for c in _HARD_CLASSES) or element_id in _HARD_IDS:
        return HARD_HINT
    if tag == "blockquote" and attrs.get("type", "").lower() == "cite":
        return HARD_HINT
    style = attrs.get("style", "").lower().replace(" ", "")
    if tag in ("div", "p", "hr") and "border-top" in style and "solid" in style:
        return SOFT_HINT
    if tag == "hr":
        return SOFT_HINT
    return None


class _HtmlLines(HTMLParser):
    """HTML as text lines, each with the offset in the source where its block begins."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self._line_starts = [0]
        for match in re.finditer("\n", source):
            self._line_starts.append(match.end())
        self.lines: list[str] = []
        self.starts: list[int] = []
        self._buffer: list[str] = []
        self._start: int | None = None
        self._depth = 0
        self._skip = 0

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _flush(self, at: int, keep_empty: bool = False) -> None:
        text = re.sub(r"\s+", " ", "".join(self._buffer)).strip()
        if text or keep_empty:
            self.lines.append(("> " * self._depth + text) if text else "")
            self.starts.append(self._start if self._start is not None else at)
        self._buffer = []
        self._start = at

    def _emit(self, marker: str, at: int) -> None:
        self.lines.append(marker)
        self.starts.append(at)
        self._start = at

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag in _SKIP:
            self._skip += 1
            return
        at = self._offset()
        if tag in _BLOCK:
            self._flush(at, keep_empty=tag == "br")
        hint = _hint(tag, {k.lower(): (v or "") for k, v in attrs})
        if hint is not None:
            self._emit(hint, at)
        if tag == "blockquote":
            self._depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag.lower() in _SKIP:
            self._skip -= 1

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if tag in _BLOCK:
            self._flush(self._offset())
        if tag == "blockquote":
            self._depth = max(0, self._depth - 1)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._start is None:
            self._start = self._offset()
        self._buffer.append(data)

    def finish(self) -> None:
        self.close()
        self._flush(len(self.source))


def trim_html(source: str) -> str:
    """``source`` (HTML as received) without the quotation; unchanged if there is none or
    nothing would be left. The result may have unclosed tags: sanitize it."""
    parser = _HtmlLines(source)
    try:
        parser.feed(source)
        parser.finish()
    except Exception:  # HTMLParser is lenient; never let a body break the intake
        return source
    span = quotation_span(parser.lines)
    if span is None:
        return source
    start, end = span
    cut = source[:parser.starts[start]]
    if end < len(parser.lines):
        cut += source[parser.starts[end]:]
    kept = [line for i, line in enumerate(parser.lines)
            if (i < start or i >= end) and line not in (HARD_HINT, SOFT_HINT)]
    return cut if any(line.strip() for line in kept) else source
