"""Every JSON example of the README (and every recipe example of the docs) runs against the
API as written.

A block is found by its fence (```json, or a ```sh block starting with ``curl``). The line
before the fence says what it is: ``<!-- example: POST /api/v1/recipe/ -->`` (run it, expect
2xx) or ``<!-- example: not runnable -->`` (a payload shape, not a request). An unmarked block
that is a recipe (it has ``trigger_event``) is a ``POST /api/v1/recipe/``. Any other unmarked
block of the README fails this test, naming the line, so a new example is never left
unchecked; in docs/ (payload references) such blocks are left alone.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.factories import ApiClient

ROOT = Path(__file__).resolve().parents[3]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"^<!--\s*example:\s*(?P<what>.+?)\s*-->\s*$")


@dataclass
class Example:
    where: str
    method: str | None  # None: not runnable
    path: str | None
    body: Any
    problem: str | None = None


def _curl(text: str) -> tuple[str, str, Any]:
    """``curl -X POST <url> -H … -d '<json>'`` → (method, path, body)."""
    words = shlex.split(text.replace("\\\n", " "))
    method, url, body = "GET", None, None
    for index, word in enumerate(words[1:], 1):
        if word in ("-X", "--request"):
            method = words[index + 1]
        elif word in ("-d", "--data", "--data-raw", "--json"):
            body = json.loads(words[index + 1])
            method = "POST" if method == "GET" else method
        elif word.startswith("http"):
            url = word
    assert url, f"no URL in {text!r}"
    return method, urlsplit(url).path, body


def examples() -> list[Example]:
    found: list[Example] = []
    for path in FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        index = 0
        while index < len(lines):
            fence = FENCE.match(lines[index])
            if not fence:
                index += 1
                continue
            end = next(j for j in range(index + 1, len(lines)) if lines[j].startswith("```"))
            text = "\n".join(lines[index + 1:end])
            where = f"{path.relative_to(ROOT)}:{index + 1}"
            marker = MARKER.match(lines[index - 1]) if index else None
            is_curl = fence.group(1) in ("sh", "bash", "shell") and \
                text.lstrip().startswith("curl")
            if fence.group(1) == "json" or is_curl:
                example = _example(where, text, is_curl,
                                   marker.group("what") if marker else None)
                if path.name == "README.md" or example.problem is None:
                    found.append(example)
            index = end + 1
    return found


def _example(where: str, text: str, is_curl: bool, what: str | None) -> Example:
    if what is not None and what.startswith("not runnable"):
        return Example(where, None, None, None)
    if is_curl:
        method, path, body = _curl(text)
        return Example(where, method, path, body)
    try:
        body = json.loads(text)
    except ValueError as exc:
        if what is None:  # a JSON-like sketch (with … or <placeholders>), not a request
            return Example(where, None, None, None, problem=f"not JSON ({exc}); mark it")
        raise
    if what is not None:
        method, _, path = what.partition(" ")
        return Example(where, method.upper(), path.strip(), body)
    if isinstance(body, dict) and "trigger_event" in body:
        return Example(where, "POST", "/api/v1/recipe/", body)
    return Example(where, None, None, body,
                   problem="mark it: <!-- example: METHOD /api/v1/… --> or "
                           "<!-- example: not runnable -->")


EXAMPLES = examples()


def test_the_readme_has_a_runnable_recipe_example():
    readme = [e for e in EXAMPLES if e.where.startswith("README.md") and e.method]
    assert any(e.path == "/api/v1/recipe/" and "actions" in e.body for e in readme)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.where for e in EXAMPLES])
def test_example_runs_as_written(app, client, make, example: Example) -> None:
    assert example.problem is None, f"{example.where}: {example.problem}"
    if example.method is None:
        return
    api = ApiClient(client, make.user("Admin").username)
    response = api._call(example.method.lower(), example.path, headers=api.headers,
                         json=example.body)
    assert 200 <= response.status_code < 300, (example.where, response.get_json())
