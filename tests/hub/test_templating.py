"""Sandboxed templating of action inputs."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from hub import templating
from hub.templating import (
    MAX_OUTPUT,
    TemplateFailure,
    compile_template,
    render,
    render_params,
    validate_params,
)

CONTEXT: dict[str, Any] = {
    "item": {"id": 42, "title": "Printer on fire", "priority": 3, "status": "Open",
             "team_ids": [1, 2], "custom": {"store": "7"}, "tags": ["hw", "urgent"]},
    "requester": {"email": "ana@example.com", "name": "Ana", "organization": "Acme"},
    "event": {"type": "ticket.updated",
              "diff": {"status": {"before": "New", "after": "Open"}}},
}


# ---------------------------------------------------------------- render


def test_item_title() -> None:
    assert render("{{ item.title }}", CONTEXT) == "Printer on fire"


def test_requester_email() -> None:
    assert render("Reply to {{ requester.email }}", CONTEXT) == "Reply to ana@example.com"


def test_subscript_and_nested_access() -> None:
    assert render("{{ item['custom']['store'] }}/{{ event.diff.status.after }}",
                  CONTEXT) == "7/Open"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ item.title | upper }}", "PRINTER ON FIRE"),
        ("{{ item.tags | join(', ') }}", "hw, urgent"),
        ("{{ item.title | truncate(10, True, '…', 0) }}", "Printer o…"),
        ("{{ requester.phone | default('n/a') }}", "n/a"),
        ("{{ item.priority * 2 }}", "6"),
        ("{{ item.team_ids | length }}", "2"),
        ("{{ item.custom | tojson }}", '{"store": "7"}'),
        ("{% for t in item.tags %}#{{ t }} {% endfor %}", "#hw #urgent "),
        ("{% if item.priority >= 3 %}high{% else %}low{% endif %}", "high"),
        ("{{ '%05d' | format(item.id) }}", "00042"),
    ],
)
def test_filters_and_statements(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


def test_no_autoescape() -> None:
    context = {"item": {"title": "<b>A & B</b>"}}
    assert render("{{ item.title }}", context) == "<b>A & B</b>"


def test_trailing_newline_kept() -> None:
    assert render("Hi {{ requester.name }}\n", CONTEXT) == "Hi Ana\n"


def test_plain_text_is_returned_untouched() -> None:
    text = "no template here\r\n  just text \n"
    assert render(text, CONTEXT) == text


def test_none_requester_renders_with_default() -> None:
    context = {**CONTEXT, "requester": None}
    assert render("{{ (requester or {}).email | default('nobody') }}", context) == "nobody"


def test_undefined_name_names_it() -> None:
    with pytest.raises(TemplateFailure) as caught:
        render("Hello {{ custmer }}", CONTEXT, field="body")
    assert str(caught.value) == "template error in 'body': 'custmer' is undefined"
    assert caught.value.field == "body"
    assert caught.value.line is None


def test_undefined_attribute_names_it() -> None:
    with pytest.raises(TemplateFailure) as caught:
        render("{{ item.titel }}", CONTEXT, field="subject")
    assert str(caught.value) == (
        "template error in 'subject': 'dict object' has no attribute 'titel'")


def test_undefined_attribute_of_none_fails() -> None:
    with pytest.raises(TemplateFailure, match="email"):
        render("{{ requester.email }}", {**CONTEXT, "requester": None})


def test_syntax_error_has_the_line() -> None:
    with pytest.raises(TemplateFailure) as caught:
        render("Hello\n{{ item.title }\n", CONTEXT, field="body")
    assert caught.value.line == 2
    assert str(caught.value) == "template error in 'body': syntax error on line 2: unexpected '}'"


def test_unclosed_block_is_a_syntax_error() -> None:
    with pytest.raises(TemplateFailure, match="syntax error on line 1"):
        render("{% if item.priority %}yes", CONTEXT)


def test_default_field_name() -> None:
    with pytest.raises(TemplateFailure, match="^template error in 'template': "):
        render("{{ nope }}", CONTEXT)


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ item.__class__ }}",
        "{{ item|attr('__class__') }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'] }}",
        "{{ self._TemplateReference__context }}",
        "{{ item.title.__len__() }}",
    ],
)
def test_sandbox_refuses_unsafe_access(template: str) -> None:
    with pytest.raises(TemplateFailure) as caught:
        render(template, CONTEXT, field="body")
    assert "template error in 'body'" in str(caught.value)


def test_sandbox_message_says_unsafe() -> None:
    with pytest.raises(TemplateFailure, match="is unsafe"):
        render("{{ ''.__class__.__mro__ }}", CONTEXT)


@pytest.mark.parametrize(
    "template",
    ["{{ item.tags.append('x') }}", "{{ item.custom.update({'a': 1}) }}",
     "{{ item.tags.pop() }}", "{% set _ = item.custom.clear() %}"],
)
def test_context_cannot_be_modified(template: str) -> None:
    context = {"item": {"tags": ["hw"], "custom": {"store": "7"}}}
    with pytest.raises(TemplateFailure, match="unsafe"):
        render(template, context)
    assert context == {"item": {"tags": ["hw"], "custom": {"store": "7"}}}


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ 1 / 0 }}", "division by zero"),
        ("{{ item.title + 1 }}", "can only concatenate str"),
        ("{{ item.id | dictsort }}", "items"),
        ("{{ range(10 ** 7) | list }}", "Range too big"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "recursion"),
    ],
)
def test_runtime_errors_become_failures(template: str, reason: str) -> None:
    with pytest.raises(TemplateFailure, match=reason):
        render(template, CONTEXT, field="x")


def test_output_cap() -> None:
    assert len(render("{{ 'a' * 1000 }}", {})) == 1000
    with pytest.raises(TemplateFailure, match="longer than 100000 characters"):
        render("{% for i in range(20000) %}abcdefghij{% endfor %}", {}, field="body")


def test_output_cap_exact_boundary() -> None:
    assert len(render("{% for i in range(10000) %}abcdefghij{% endfor %}", {})) == MAX_OUTPUT


def test_output_cap_applies_to_a_long_value() -> None:
    with pytest.raises(TemplateFailure, match="longer than"):
        render("{{ big }}", {"big": "x" * (MAX_OUTPUT + 1)})


def test_custom_max_length() -> None:
    assert render("{{ item.title }}", CONTEXT, max_length=15) == "Printer on fire"
    with pytest.raises(TemplateFailure, match="longer than 5 characters"):
        render("{{ item.title }}", CONTEXT, max_length=5)


@pytest.mark.parametrize(
    "template",
    ["{{ 'a' * 10 ** 9 }}", "{{ 10 ** 9 * 'a' }}", "{{ [1] * 10 ** 9 }}", "{{ 9 ** 999999 }}"],
)
def test_huge_values_are_refused_before_they_are_built(template: str) -> None:
    with pytest.raises(TemplateFailure, match="template error"):
        render(template, {})


def test_ordinary_arithmetic_still_works() -> None:
    assert render("{{ 2 ** 10 }} {{ 3 * 4 }} {{ 1.5 * 2 }} {{ 2 ** 0.5 > 1 }}", {}) == \
        "1024 12 3.0 True"


def test_compiled_templates_are_cached() -> None:
    source = "{{ item.id }}-cache-test"
    before = templating._compile.cache_info().hits
    assert render(source, CONTEXT) == "42-cache-test"
    assert render(source, {"item": {"id": 7}}) == "7-cache-test"
    assert templating._compile.cache_info().hits == before + 1
    assert compile_template(source) is compile_template(source)


def test_failure_pickles() -> None:
    failure = TemplateFailure("body", "boom", 3)
    copy = pickle.loads(pickle.dumps(failure))
    assert str(copy) == str(failure)


def test_failure_is_an_exception() -> None:
    assert issubclass(TemplateFailure, Exception)


# ---------------------------------------------------------------- render_params


def test_render_params_nested() -> None:
    params = {
        "subject": "[#{{ item.id }}] {{ item.title }}",
        "priority": 5,
        "notify": True,
        "nothing": None,
        "headers": {"X-Id": "{{ item.id }}", "X-Static": "plain"},
        "recipients": ["{{ requester.email }}", "ops@example.com"],
        "pair": ("{{ item.status }}", 1),
    }
    assert render_params(params, CONTEXT) == {
        "subject": "[#42] Printer on fire",
        "priority": 5,
        "notify": True,
        "nothing": None,
        "headers": {"X-Id": "42", "X-Static": "plain"},
        "recipients": ["ana@example.com", "ops@example.com"],
        "pair": ("Open", 1),
    }


def test_render_params_does_not_modify_input() -> None:
    params = {"a": ["{{ item.id }}"]}
    render_params(params, CONTEXT)
    assert params == {"a": ["{{ item.id }}"]}


def test_render_params_scalar_values() -> None:
    assert render_params("{{ item.id }}", CONTEXT) == "42"
    assert render_params(3, CONTEXT) == 3
    assert render_params(None, CONTEXT) is None


def test_render_params_error_names_dotted_path() -> None:
    with pytest.raises(TemplateFailure) as caught:
        render_params({"headers": {"X-Id": "{{ item.nope }}"}}, CONTEXT)
    assert caught.value.field == "headers.X-Id"
    assert str(caught.value).startswith("template error in 'headers.X-Id': ")


def test_render_params_error_path_through_lists() -> None:
    with pytest.raises(TemplateFailure) as caught:
        render_params({"attachments": [{"name": "ok"}, {"name": "{{ oops }}"}]}, CONTEXT)
    assert caught.value.field == "attachments.1.name"


def test_render_params_top_level_body() -> None:
    with pytest.raises(TemplateFailure, match="in 'body'"):
        render_params({"body": "{{ missing }}"}, CONTEXT)


def test_render_params_with_prefix() -> None:
    with pytest.raises(TemplateFailure, match="in 'actions.0.body'"):
        render_params({"body": "{{ missing }}"}, CONTEXT, path="actions.0")


# ---------------------------------------------------------------- validate_params


def test_validate_params_reports_syntax_errors_per_path() -> None:
    params = {"subject": "{{ item.title }", "body": "fine {{ x }}",
              "headers": {"X-A": "{% if %}"}, "n": 1}
    errors = validate_params(params)
    assert set(errors) == {"subject", "headers.X-A"}
    assert errors["subject"] == [
        "template error in 'subject': syntax error on line 1: unexpected '}'"]


def test_validate_params_ignores_undefined_names() -> None:
    assert validate_params({"body": "{{ anything.at.all }}"}) == {}


def test_validate_params_empty() -> None:
    assert validate_params({}) == {}
    assert validate_params(None) == {}
