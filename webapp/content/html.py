"""Sanitizing HTML from users and e-mail (nh3), and deriving plain text from it."""

from __future__ import annotations

import html
import re

import nh3

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# Inline images pasted into mail and editors arrive as data: URLs; only raster images are
# kept (an SVG or HTML data: URL can carry script).
_SAFE_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$",
                              re.IGNORECASE)
_BLOCK_END = re.compile(r"</(p|div|li|tr|h[1-6]|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if value.strip().lower().startswith("data:"):
        if tag == "img" and attribute == "src" and _SAFE_DATA_IMAGE.match(value.strip()):
            return value
        return None
    return value


def sanitize_html(value: str | None) -> str:
    """Keep formatting, drop scripts, event handlers, unknown tags and unsafe URLs."""
    if not value:
        return ""
    return nh3.clean(
        value,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes={"http", "https", "mailto", "cid", "data"},
        link_rel="noopener noreferrer nofollow",
    )


def html_to_text(value: str | None) -> str:
    """Plain text of (sanitized) HTML: block ends become line breaks."""
    if not value:
        return ""
    text = _BLOCK_END.sub("\n", value)
    text = html.unescape(_TAG.sub("", text))
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def plain_text_html(text: str | None) -> str:
    """Typed plain text as HTML: everything escaped, paragraphs and line breaks kept."""
    text = (text or "").replace("\r\n", "\n").strip()
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
