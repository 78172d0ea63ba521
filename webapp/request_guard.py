"""One check of every request's input before any view sees it.

Strings that no database column can hold (NUL, which PostgreSQL refuses in text; lone
UTF-16 surrogates, which no UTF-8 encoder accepts), JSON nested deeper than any of our
documents (Python's parser recurses, so 5,000 levels are a ``RecursionError``) and bodies
over ``MAX_CONTENT_LENGTH`` would otherwise surface as 500s deep inside a view — FAB's
``@safe`` turns every exception but ``BadRequest``, ``RequestEntityTooLarge`` included, into
one. Here they are refused up front: ``/api/…`` and JSON callers get FAB's error shape
(``{"message": {"<field>": ["<reason>"]}}``), screens a flashed message on a 400 page.

It runs on every request, so the common case costs a few byte scans: the JSON body is parsed
once (and cached by Flask for the view), and only walked when it could hold an escape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, Response, current_app, flash, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects accepted in a JSON body or a ``q`` argument; our
deepest documents (recipe conditions, custom values) are a handful of levels."""

# Bodies kept as received bytes: inbound webhooks (signed over those bytes) and raw mail
# (which may hold NUL bytes; the intake strips them). Parsing their form or JSON here would
# consume or judge a body that is not ours; only their size is checked.
_RAW_BODY_PREFIXES = ("/hooks/in/", "/api/v1/mail/inbound")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
# ``q`` is rison ('…' strings, ! escapes) or, FAB's fallback, JSON ("…" strings).
_Q_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'!]|!.)*'""", re.DOTALL)
_BRACKETS = re.compile(rb"[][{}()]")

REASONS = {
    "nul": "must not contain a NUL character (\\u0000)",
    "surrogate": "must not contain an unpaired surrogate (\\ud800-\\udfff)",
    "depth": f"is nested more than {MAX_JSON_DEPTH} levels deep",
    "range": "is out of range: ids are 64-bit integers",
}
_INT64 = 2**63


class Refused(Exception):
    """Input refused before any view: the field (or argument) and why."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {REASONS[code]}")
        self.field = field
        self.code = code


def init_request_guard(app: Flask) -> None:
    @app.before_request
    def _guard() -> Response | tuple[str, int] | None:
        limit = request.max_content_length
        if limit is not None and (request.content_length or 0) > limit:
            if _wants_json():
                # Werkzeug raises this only when a view reads the body: inside FAB's
                # ``@safe``, which answers 500 for every exception but ``BadRequest``.
                raise RequestEntityTooLarge()
            # A screen reads the body itself: the reply form explains it in its own words,
            # the others reach the 413 page below.
            return None
        if request.path.startswith(_RAW_BODY_PREFIXES):
            return None
        try:
            _check_request()
        except Refused as refused:
            status = 404 if refused.code == "range" else 400
            return _refuse(status, {refused.field: [REASONS[refused.code]]})
        return None

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: HTTPException) -> Response | tuple[str, int]:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return _refuse(413, f"the request body is larger than {limit} bytes")


def _check_request() -> None:
    for name, value in (request.view_args or {}).items():
        # A path id past 64 bits names no row, but SQLite cannot even bind it (OverflowError).
        if _out_of_range(value):
            raise Refused(name, "range")
    _check_pairs(request.args.items(multi=True), "")
    query = request.args.get("q")
    if query:
        _check_q(query)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.is_json:
        _check_json_body()
    elif request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        # Parses the form now (a view would anyway): an oversized form is a 413 here.
        _check_pairs(request.form.items(multi=True), "")
        for name, upload in request.files.items(multi=True):
            _check_pairs([(name, upload.filename or "")], "")


def _check_pairs(pairs: Iterable[tuple[str | None, str]], prefix: str) -> None:
    for key, value in pairs:
        key = key or ""  # a multipart part may come without a name
        if _UNSTORABLE.search(key):
            raise Refused(f"{prefix}(a name)", _code(key))
        if _UNSTORABLE.search(value):
            raise Refused(prefix + key, _code(value))


def _out_of_range(value: Any) -> bool:
    if isinstance(value, str) and value.isascii() and value.lstrip("-").isdigit():
        value = int(value) if len(value) < 40 else _INT64
    return type(value) is int and not -_INT64 <= value < _INT64


def _code(text: str) -> str:
    return "nul" if "\x00" in text else "surrogate"


def _check_q(query: str) -> None:
    if _depth(_Q_STRING.sub("", query).encode(), b"([{", b")]}") > MAX_JSON_DEPTH:
        raise Refused("q", "depth")
    if "\\u" in query and query.lstrip()[:1] in ("{", "["):
        # FAB reads ``q`` as JSON when it is not rison, and JSON can escape any code point.
        try:
            parsed = json.loads(query)
        except ValueError:
            return
        _check_document(parsed, "q")


def _check_json_body() -> None:
    raw = request.get_data(cache=True)
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
        text = raw
        if not raw.isascii():
            # UTF-16/32 bodies are JSON too (json.loads detects them); scan their characters.
            text = raw.decode(json.detect_encoding(raw), "surrogatepass").encode(
                "utf-8", "surrogatepass")
        if _depth(_JSON_STRING.sub(b"", text), b"[{", b"]}") > MAX_JSON_DEPTH:
            raise Refused("_body", "depth")
    body = request.get_json(silent=True)  # cached: the view's request.json reuses it
    if body is not None and (b"\\u" in raw or not raw.isascii()):
        _check_document(body, "")


def _depth(text: bytes, opening: bytes, closing: bytes) -> int:
    deepest = depth = 0
    for char in b"".join(_BRACKETS.findall(text)):
        if char in opening:
            depth += 1
            deepest = max(deepest, depth)
        elif char in closing:
            depth -= 1
    return deepest


def _check_document(document: Any, root: str) -> None:
    for path, text in _strings(document, root):
        if _UNSTORABLE.search(text):
            raise Refused(path or "_body", _code(text))


def _strings(document: Any, root: str) -> Iterator[tuple[str, str]]:
    """Every string of a parsed JSON document (keys too) with its dotted path."""
    stack = [(root, document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            yield path, node
        elif isinstance(node, dict):
            for key, value in node.items():
                child = f"{path}.{key}" if path else key
                yield f"{path}.(a key)" if path else "(a key)", key
                stack.append((child, value))
        elif isinstance(node, list):
            stack.extend((f"{path}[{index}]", value) for index, value in enumerate(node))


def _refuse(status: int, message: Any) -> Response | tuple[str, int]:
    if _wants_json():
        response = jsonify(message=message)
        response.status_code = status
        return response
    text = message if isinstance(message, str) else "; ".join(
        f"{field} {reasons[0]}" for field, reasons in message.items())
    flash(text, "danger")
    appbuilder = current_app.appbuilder
    return render_template("appbuilder/base.html", base_template=appbuilder.base_template,
                           appbuilder=appbuilder), status


def _wants_json() -> bool:
    if request.path.startswith(("/api/", "/hooks/")) or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"
