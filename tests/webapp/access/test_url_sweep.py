"""Every staff route, tried by team A's Agent, Collaborator and Read-only with the real ids of
team B's rows: nothing of team B is shown and nothing is written.

The sweep walks the whole URL map (REST resources: list, get, ``_info``, related, downloads,
custom routes; generated screens; agent views), so a new route is covered the day it is added,
or the test fails asking for its argument. ``team_b.build_team_b`` makes a row of every model,
so a new model is covered too; one without a visibility rule fails
``test_every_model_has_a_visibility_rule``. ``test_the_sweep_catches_a_missing_rule`` shows
the sweep failing when a rule is taken away.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect
from werkzeug.routing import Rule

from tests.clients import Browser
from tests.webapp.access.team_b import (
    MARKER,
    SWEEP_ROLES,
    TeamB,
    build_team_b,
    missing_rows,
    snapshot,
)
from webapp.access import scope
from webapp.access.scope import RULES, staff_rule
from webapp.models import (
    ChatConversation,
    Item,
    ItemSla,
    Model,
    Recipe,
    ReportSchedule,
    SavedView,
    WebForm,
    WebhookEndpoint,
)

# Customer-facing blueprints have their own sweep (tests/webapp/portal/test_idor_sweep.py);
# static files, the health check and signed inbound webhooks carry nobody's data.
NOT_STAFF = ("portal.", "portal_root.", "widget.", "static", "appbuilder.static", "health.",
             "inbound_webhooks.")
# Signing in and out changes the session the sweep runs in.
SESSION_ROUTES = {"AuthDBView.login", "AuthDBView.logout", "SecurityApi.login",
                  "SecurityApi.refresh"}
# Routes with an id but no datamodel: the model whose id they take.
ROUTE_MODELS = {"ChatView": ChatConversation, "SavedViewView": SavedView, "HookApi": WebhookEndpoint,
                "RecipeEditorView": Recipe, "ReportScheduleView": ReportSchedule, "InboxView": SavedView}
REFUSED = {401, 403, 404}


@dataclass
class Answer:
    user: str
    method: str
    url: str
    status: int
    location: str
    body: str


def _view_model(app: Flask, endpoint: str) -> type | None:
    name = endpoint.split(".")[0]
    if name in ROUTE_MODELS:
        return ROUTE_MODELS[name]
    for view in app.appbuilder.baseviews:
        if type(view).__name__ == name:
            datamodel = getattr(view, "datamodel", None)
            return datamodel.obj if datamodel is not None else None
    return None


def _first_action(app: Flask, endpoint: str) -> str:
    name = endpoint.split(".")[0]
    for view in app.appbuilder.baseviews:
        if type(view).__name__ == name and getattr(view, "actions", None):
            return next(iter(view.actions))
    return "muldelete"


def _urls(app: Flask, rule: Rule, world: TeamB) -> list[str]:
    """The URLs of ``rule`` with team B's values; one per relationship for a ``<column>``."""
    values = _arguments(app, rule, world)
    if "column" not in rule.arguments:
        return [rule.build(values, append_unknown=False)[1]]
    model = _view_model(app, rule.endpoint)
    assert model is not None, f"{rule.rule}: add its model to ROUTE_MODELS"
    return [rule.build({**values, "column": rel.key}, append_unknown=False)[1]
            for rel in inspect(model).relationships]


def _arguments(app: Flask, rule: Rule, world: TeamB) -> dict[str, Any]:
    """Team B's value for each argument of ``rule`` (but ``column``)."""
    from flask_appbuilder.security.sqla.models import ApiKey

    model = _view_model(app, rule.endpoint)
    values: dict[str, Any] = {}
    for name in rule.arguments - {"column"}:
        if name == "pk":
            assert model is not None, f"{rule.rule}: add its model to ROUTE_MODELS"
            values[name] = world.id_of(model)
        elif name == "form_id":
            values[name] = world.id_of(WebForm)
        elif name == "status_id":
            values[name] = world.rows[Item].status_id
        elif name == "uuid":
            values[name] = str(world.rows[ApiKey].uuid)
        else:
            fixed = {"fmt": "csv", "event": "ticket.created", "filename": "bravo.txt",
                     "version": "v1", "locale": "pt", "group_by": "username",
                     "kind": "projects", "key": "open"}
            if name == "name":
                fixed["name"] = ("stripe" if rule.rule.startswith("/api/v1/connector/")
                                 else _first_action(app, rule.endpoint))
            assert name in fixed, f"{rule.rule}: give the sweep a team-B value for <{name}>"
            values[name] = fixed[name]
    return values


def staff_rules(app: Flask) -> Iterator[Rule]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.startswith(NOT_STAFF) or rule.endpoint in SESSION_ROUTES:
            continue
        yield rule


def _names_team_b_row(app: Flask, rule: Rule) -> bool:
    """The route takes the id of a row that team A must not see."""
    if "pk" not in rule.arguments:
        return False
    return RULES[_view_model(app, rule.endpoint)] is not staff_rule


def sweep(app: Flask, world: TeamB, only: set[type] | None = None) -> list[str]:
    """Walk the routes as each team-A user; the problems found (empty when all is well)."""
    problems: list[str] = []
    browsers = {role: Browser(app, app.test_client(), username)
                for role, username in world.users.items()}
    with app.app_context():
        before = snapshot()
    for rule in staff_rules(app):
        if only is not None and _view_model(app, rule.endpoint) not in only:
            continue
        guarded = _names_team_b_row(app, rule)
        for url, method in itertools.product(_urls(app, rule, world),
                                              sorted(rule.methods - {"HEAD", "OPTIONS"})):
            writes = method != "GET" or rule.endpoint.endswith(".delete")
            if writes and not guarded and "pk" in rule.arguments:
                continue  # writing a row every staff member may write is not a leak
            for role, browser in browsers.items():
                try:
                    with app.app_context():
                        response = browser.client.open(
                            url, method=method, json={} if url.startswith("/api/") else None,
                            data=None if url.startswith("/api/") else {"rowid": [1]})
                except Exception as exc:  # the test client re-raises what would be a 500
                    problems.append(f"{role} {method} {url}: server error {exc!r}")
                    continue
                answer = Answer(role, method, url, response.status_code,
                                response.headers.get("Location", ""),
                                response.get_data(as_text=True))
                problems.extend(_judge(answer, guarded))
    with app.app_context():
        after = snapshot()
    for table in before:
        if before[table] != after[table]:
            problems.append(f"{table} changed: gone {before[table] - after[table]}, "
                            f"new {after[table] - before[table]}")
    return problems


def _judge(answer: Answer, guarded: bool) -> list[str]:
    where = f"{answer.user} {answer.method} {answer.url} → {answer.status}"
    found = []
    if answer.status >= 500:
        found.append(f"{where}: server error {answer.body[:200]!r}")
    if MARKER in answer.body:
        at = answer.body.index(MARKER)
        found.append(f"{where}: shows team B's row …{answer.body[max(0, at - 120):at + 40]!r}")
    if guarded:
        # Screens refuse with a flashed message and a redirect (what they did or did not
        # write is judged by the snapshot); everything else must be 401/403/404.
        if answer.status not in REFUSED and not (answer.status == 302 and not
                                                 answer.url.startswith("/api/")):
            found.append(f"{where}: team B's id was not refused")
    return found


@pytest.fixture
def team_b(app, make) -> TeamB:
    return build_team_b(app, make)


def test_every_model_has_a_visibility_rule(app) -> None:
    missing = [m.class_.__name__ for m in Model.registry.mappers if m.class_ not in RULES]
    assert not missing, f"decide who may see these (webapp/access/rules.py): {missing}"


def test_a_model_without_a_rule_is_refused_not_shown(app, monkeypatch) -> None:
    monkeypatch.delitem(RULES, ItemSla)
    with pytest.raises(scope.NoVisibilityRule, match="ItemSla"):
        scope.visibility_clause(ItemSla, scope.Viewer(1, frozenset({"Agent"})))


def test_team_b_has_a_row_of_every_model(app, team_b) -> None:
    assert not missing_rows(team_b)


def test_no_staff_route_shows_or_changes_another_teams_rows(app, team_b) -> None:
    assert set(team_b.users) == set(SWEEP_ROLES.values())
    problems = sweep(app, team_b)
    assert not problems, "\n".join(problems[:60]) + f"\n({len(problems)} problems)"


def test_the_sweep_catches_a_missing_rule(app, team_b, monkeypatch) -> None:
    """Item SLAs shown to every staff member (the audit's finding) are caught."""
    monkeypatch.setitem(RULES, ItemSla, staff_rule)
    monkeypatch.setattr(  # the rule now says "everyone", but the route still names B's id
        "tests.webapp.access.test_url_sweep._names_team_b_row", lambda app, rule: True)
    problems = sweep(app, team_b, only={ItemSla})
    assert any("/api/v1/item_sla/" in p and "shows team B's row" in p for p in problems)
    assert any("/item-slas/show/" in p for p in problems)


AUDIT_FINDINGS = (  # the black-box audit's reproductions, each with team B's id
    ("/api/v1/webhook_attempt/{}", "WebhookAttempt"), ("/api/v1/webhook_endpoint/{}/log",
                                                      "WebhookEndpoint"),
    ("/api/v1/delivery/{}", "Delivery"), ("/api/v1/item_sla/{}", "ItemSla"),
    ("/item-slas/list/", None), ("/item-slas/show/{}", "ItemSla"),
    ("/webhook-attempts/show/{}", "WebhookAttempt"),
)


@pytest.mark.parametrize(("path", "model"), AUDIT_FINDINGS)
def test_audit_findings_are_closed(app, team_b, path, model) -> None:
    import webapp.models as models

    row_id = team_b.id_of(getattr(models, model)) if model else None
    url = path.format(row_id)
    for username in team_b.users.values():
        browser = Browser(app, app.test_client(), username)
        response = browser.get(url)
        assert MARKER not in response.get_data(as_text=True), (username, url)
        if model:
            assert response.status_code in (302, 404) if not url.startswith("/api/") \
                else response.status_code == 404, (username, url, response.status_code)
