"""List and board data endpoints at 10k, 100k and 1M items: p50/p95 per size, against a bare
``SELECT id FROM item ORDER BY id DESC LIMIT 50`` measured in the same run.

Builds its own PostgreSQL database (dropped at the end), migrated like ``relaydesk db
upgrade``; items are added with one ``INSERT … SELECT generate_series`` per size step (50
projects of 10 teams, an Agent in 2 teams: 20 % of the items visible to them). Requests go
through the Flask test client with a logged-in browser session, as the Agent and as Admin:

* list first:  ``GET /views/list/items?page_size=50`` (sort ``-id``)
* list deep:   the same with a cursor half-way down the viewer's rows
* list due:    ``sort=due_at`` / ``sort=-due_at`` (NULLs last), first page
* list filter: ``priority=5&sort=-updated_at``, first page
* board col:   ``GET /views/board/column/<status>?page_size=50`` (ViewFilter + status + keyset)
* board deep:  the same column with a cursor half-way down
* dashboard:   ``GET /views/dashboard/data``: every figure of the last 30 days (items are
  created evenly over three years, so ~3 % of them; a third have a public staff reply) and
  of the last 365 days by week (a third of them)

    .venv/bin/python bench/views_scale.py [--sizes 10000,100000,1000000] [--requests 40]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from bench.harness import fresh_database, log, migrated_app, percentile  # noqa: E402

PASSWORD = "bench-Secret-1"
TEAMS, PROJECTS = 10, 50
WARMUP = 3


def build_people(app: Any) -> SimpleNamespace:
    """Teams, projects, an Agent in two teams, an Admin; the default ticket type."""
    from webapp.extensions import db
    from webapp.models import ItemKind, ItemType, Project, Team

    with app.app_context():
        session = db.session
        teams = [Team(name=f"Team {n}") for n in range(TEAMS)]
        session.add_all(teams)
        projects = [Project(name=f"Project {n}", teams=[teams[n % TEAMS]])
                    for n in range(PROJECTS)]
        session.add_all(projects)
        session.commit()
        sm = app.appbuilder.sm
        agent = sm.add_user("agent", "Field", "Agent", "agent@bench.example",
                            sm.find_role("Agent"), password=PASSWORD)
        admin = sm.add_user("admin", "Head", "Admin", "admin@bench.example",
                            sm.find_role("Admin"), password=PASSWORD)
        teams[0].members.append(agent)
        teams[1].members.append(agent)
        session.commit()
        ticket = session.query(ItemType).filter(ItemType.kind == ItemKind.TICKET) \
            .order_by(ItemType.is_default.desc(), ItemType.id).first()
        return SimpleNamespace(
            agent=agent.username, admin=admin.username, agent_id=agent.id,
            type_id=ticket.id, statuses=[s.id for s in ticket.statuses],
            projects=[p.id for p in projects])


def grow(app: Any, people: SimpleNamespace, start: int, end: int) -> float:
    """Items ``start``..``end`` (1-based) in one INSERT … SELECT generate_series; seconds."""
    from webapp.extensions import db

    began = time.perf_counter()
    with app.app_context():
        db.session.execute(text("""
            INSERT INTO item (kind, title, item_type_id, status_id, priority, project_id,
                              due_at, status_changed_at, custom_values, created_at, updated_at)
            SELECT 'ticket', 'Bench item ' || g, :type_id,
                   (:statuses)[1 + g % cardinality(:statuses)],
                   g % 6, (:projects)[1 + g % cardinality(:projects)],
                   CASE WHEN g % 4 = 0 THEN NULL
                        ELSE timestamp '2030-01-01' + (g % 500) * interval '1 day' END,
                   now() - (g % 1095) * interval '1 day' + (g % 72) * interval '1 hour', '{}',
                   now() - (g % 1095) * interval '1 day',
                   now() - (g % 1000) * interval '1 minute'
            FROM generate_series(CAST(:start AS integer), CAST(:end AS integer)) AS g
        """), {"type_id": people.type_id, "statuses": people.statuses,
               "projects": people.projects, "start": start, "end": end})
        db.session.execute(text("""
            INSERT INTO item_assignee_user (item_id, user_id)
            SELECT id, :agent FROM item WHERE id BETWEEN :start AND :end AND id % 10 = 0
        """), {"agent": people.agent_id, "start": start, "end": end})
        db.session.execute(text("""
            INSERT INTO message (item_id, is_public, body_html, author_user_id, created_at,
                                 updated_at)
            SELECT id, true, '<p>On it</p>', :agent, created_at + (id % 48) * interval '1 hour',
                   created_at + (id % 48) * interval '1 hour'
            FROM item WHERE id BETWEEN :start AND :end AND id % 3 = 0
        """), {"agent": people.agent_id, "start": start, "end": end})
        db.session.commit()
        db.session.execute(text("ANALYZE message"))
        db.session.execute(text("ANALYZE item"))
        db.session.execute(text("ANALYZE item_assignee_user"))
        db.session.commit()
    return time.perf_counter() - began


class Session:
    """A logged-in browser session; each request in an app context of its own."""

    def __init__(self, app: Any, username: str) -> None:
        self.app = app
        self.client = app.test_client()
        response = self.get("/login/", method="post",
                            data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.status_code

    def get(self, url: str, method: str = "get", **kw: Any) -> Any:
        with self.app.app_context():
            return getattr(self.client, method)(url, **kw)


def timed(call: Callable[[], Any], requests: int) -> list[float]:
    for _ in range(WARMUP):
        call()
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return times


def deep_cursor(app: Any, session: Session, url: str) -> str:
    """A cursor half-way down ``url``'s rows (the row at the middle, by count)."""
    from webapp.extensions import db
    from webapp.work_views.keyset import Sort, encode_cursor

    first = session.get(url).get_json()
    key = "rows" if "rows" in first else "cards"
    assert first[key], f"no rows at {url}"
    with app.app_context():
        # the viewer's rows in -id order: pick the middle one's id
        visible = [r["id"] for r in first[key]]
        lowest = visible[-1]
        middle = db.session.execute(text("SELECT (min(id) + :top) / 2 FROM item"),
                                    {"top": lowest}).scalar()
    return encode_cursor(Sort.parse("-id"), SimpleNamespace(id=int(middle)))


def endpoint(session: Session, url: str) -> Callable[[], Any]:
    def call() -> Any:
        response = session.get(url)
        assert response.status_code == 200, (url, response.status_code, response.get_data())
        return response
    return call


def measure(app: Any, people: SimpleNamespace, requests: int) -> dict[str, list[float]]:
    from webapp.extensions import db

    results: dict[str, list[float]] = {}

    def baseline() -> None:
        with app.app_context():
            db.session.execute(text("SELECT id FROM item ORDER BY id DESC LIMIT 50")).all()
            db.session.remove()

    results["baseline SQL"] = timed(baseline, requests)
    column = f"/views/board/column/{people.statuses[1]}?page_size=50"
    year_ago = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=364)).isoformat()
    for who in ("agent", "admin"):
        session = Session(app, getattr(people, who))
        list_url = "/views/list/items?page_size=50"
        cases = {
            "list first": list_url,
            "list deep": f"{list_url}&cursor={deep_cursor(app, session, list_url)}",
            "list due": f"{list_url}&sort=due_at",
            "list -due": f"{list_url}&sort=-due_at",
            "list filter": f"{list_url}&priority=5&sort=-updated_at",
            "board col": column,
            "board deep": f"{column}&cursor={deep_cursor(app, session, column)}",
            "dashboard 30d": "/views/dashboard/data",
            "dashboard 365d": f"/views/dashboard/data?from={year_ago}&bucket=week",
        }
        for name, url in cases.items():
            results[f"{name} ({who})"] = timed(endpoint(session, url), requests)
    return results


def report(size: int, results: dict[str, list[float]]) -> None:
    base = percentile(results["baseline SQL"], 0.5)
    print(f"\n== {size:,} items ==")
    print(f"{'case':<26}{'p50 ms':>9}{'p95 ms':>9}{'p50/base':>10}")
    for name, times in results.items():
        p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
        print(f"{name:<26}{p50:>9.1f}{p95:>9.1f}{p50 / base:>10.1f}")
    sys.stdout.flush()


def scale_options(description: str) -> tuple[list[int], int]:
    """``--sizes`` (item counts, ascending) and ``--requests`` of the scale benches."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="comma-separated item counts, built one after the other")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per case")
    options = parser.parse_args()
    try:
        sizes = sorted({int(s) for s in options.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes: whole numbers separated by commas, e.g. 10000,100000")
    if not sizes or sizes[0] < 100:
        parser.error("--sizes: at least 100 items")
    return sizes, options.requests


def main() -> None:
    sizes, requests = scale_options(__doc__.split("\n")[0])
    with fresh_database() as url, tempfile.TemporaryDirectory() as data_dir:
        app = migrated_app(url, data_dir, WTF_CSRF_ENABLED=False, TESTING=True, REDIS_URL="")
        people = build_people(app)
        built = 0
        for size in sizes:
            seconds = grow(app, people, built + 1, size)
            log(f"built {size:,} items (+{size - built:,} in {seconds:.1f} s)")
            built = size
            report(size, measure(app, people, requests))
        from webapp.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
