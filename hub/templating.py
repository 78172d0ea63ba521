"""Sandboxed Jinja2 for the inputs of recipe actions.

Templates are written by admins and rendered by workers with the event's context
(``item``, ``requester``, ``event``, …). They run in Jinja's immutable sandbox, with
undefined names as errors, without HTML autoescaping, and with a cap on the output size.
Every failure, whatever raised it, comes out as one :class:`TemplateFailure`.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: The longest text one template may produce (characters).
MAX_OUTPUT = 100_000
#: The largest integer power a template may compute (bits of the result).
_MAX_POWER_BITS = 4096


class TemplateFailure(Exception):
    """A template could not be compiled or rendered; ``str()`` says where and why."""

    def __init__(self, field: str, reason: str, line: int | None = None) -> None:
        super().__init__(field, reason, line)
        self.field = field
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        where = f"syntax error on line {self.line}: " if self.line is not None else ""
        return f"template error in {self.field!r}: {where}{self.reason}"


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, also refusing ``*`` and ``**`` that would build huge values."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "*":
            _check_repeat(left, right)
            _check_repeat(right, left)
            return operator.mul(left, right)
        if operator_ == "**":
            if (isinstance(left, int) and isinstance(right, int) and right > 0
                    and abs(left) > 1 and abs(left).bit_length() * right > _MAX_POWER_BITS):
                raise SecurityError("the power is too large to compute")
            return operator.pow(left, right)
        return super().call_binop(context, operator_, left, right)


def _check_repeat(sequence: Any, times: Any) -> None:
    if isinstance(sequence, str | bytes | list | tuple) and isinstance(times, int):
        if len(sequence) * times > MAX_OUTPUT:
            raise SecurityError(f"repeating a sequence beyond {MAX_OUTPUT} items is not allowed")


_environment = _Environment(
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
)


def register_global(name: str, function: Callable[..., Any]) -> None:
    """Offer ``function`` to every template as ``name`` (the web app adds links such as
    ``rating_url`` at start-up; the hub itself knows nothing about them)."""
    _environment.globals[name] = function


@functools.lru_cache(maxsize=1024)
def _compile(source: str) -> Template:
    return _environment.from_string(source)


def _failure(field: str, exc: Exception) -> TemplateFailure:
    if isinstance(exc, TemplateSyntaxError):
        return TemplateFailure(field, exc.message or str(exc), exc.lineno)
    if isinstance(exc, TemplateError):
        return TemplateFailure(field, exc.message or type(exc).__name__)
    return TemplateFailure(field, str(exc) or type(exc).__name__)


def compile_template(template: str, *, field: str = "template") -> Template:
    """The compiled template (cached on its source); TemplateFailure on a syntax error."""
    try:
        return _compile(template)
    except Exception as exc:
        raise _failure(field, exc) from exc


def render(
    template: str,
    context: Mapping[str, Any],
    *,
    field: str = "template",
    max_length: int = MAX_OUTPUT,
) -> str:
    """``template`` rendered with ``context``; TemplateFailure on any problem.

    A string without ``{`` cannot hold Jinja syntax and is returned exactly as it is.
    """
    if "{" not in template:
        output = template
    else:
        compiled = compile_template(template, field=field)
        pieces: list[str] = []
        size = 0
        try:
            for piece in compiled.generate(dict(context)):
                pieces.append(piece)
                size += len(piece)
                if size > max_length:  # stop a runaway loop early
                    break
        except Exception as exc:
            raise _failure(field, exc) from exc
        output = "".join(pieces)
    if len(output) > max_length:
        raise TemplateFailure(field, f"the output is longer than {max_length} characters")
    return output


def render_params(params: Any, context: Mapping[str, Any], *, path: str = "") -> Any:
    """Every string inside nested dicts, lists and tuples of ``params`` rendered.

    Other values are kept as they are; errors name the dotted path (``headers.X-Id``,
    ``attachments.0.name``).
    """
    if isinstance(params, str):
        return render(params, context, field=path or "template")
    if isinstance(params, Mapping):
        return {key: render_params(value, context, path=_join(path, key))
                for key, value in params.items()}
    if isinstance(params, list | tuple):
        rendered = [render_params(value, context, path=_join(path, index))
                    for index, value in enumerate(params)]
        return tuple(rendered) if isinstance(params, tuple) else rendered
    return params


def validate_params(params: Any, *, path: str = "") -> dict[str, list[str]]:
    """Syntax errors of every template inside ``params``, per dotted path ({} when fine).

    For the 422 answers of the recipe API: rendering needs an event, compiling does not.
    """
    errors: dict[str, list[str]] = {}
    if isinstance(params, str):
        if "{" in params:
            try:
                compile_template(params, field=path or "template")
            except TemplateFailure as failure:
                errors[path or "template"] = [str(failure)]
    elif isinstance(params, Mapping):
        for key, value in params.items():
            errors.update(validate_params(value, path=_join(path, key)))
    elif isinstance(params, list | tuple):
        for index, value in enumerate(params):
            errors.update(validate_params(value, path=_join(path, index)))
    return errors


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)
