"""The agent workspace at 10k, 100k and 1M items, as an Agent with team visibility: home with
every queue count, inbox first page (page and rows endpoint), the ticket page of a ticket with
200 messages, and a field change through the API; p50/p95 per size against a bare
``SELECT id FROM item ORDER BY id DESC LIMIT 50`` measured in the same run.

Goals (issue 19): home p95 <= 100 ms, inbox first page p95 <= 100 ms, ticket page p95 <=
150 ms, field change p95 <= 50 ms, flat from 10k to 1M. Data as bench/views_scale.py builds it
(50 projects of 10 teams; the Agent in 2 teams sees 20 %; every 10th item is theirs; a third
have a reply).

    .venv/bin/python bench/workspace.py [--sizes 10000,100000,1000000] [--requests 40]

Prints a table per size, then ``ratio=<worst case p95 / baseline p95 at the largest size>``
and ``flat=<worst case p95 at the largest size / the same case at the smallest>``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from bench.harness import fresh_database, log, migrated_app, percentile  # noqa: E402
from bench.views_scale import (  # noqa: E402
    Session,
    build_people,
    endpoint,
    grow,
    report,
    scale_options,
    timed,
)

MESSAGES = 200


def long_ticket(app: Any, people: SimpleNamespace) -> int:
    """A ticket in the Agent's team with ``MESSAGES`` messages (public and private)."""
    from webapp.extensions import db

    with app.app_context():
        item_id = db.session.execute(text("""
            INSERT INTO item (kind, title, item_type_id, status_id, priority, project_id,
                              status_changed_at, custom_values, created_at, updated_at)
            VALUES ('ticket', 'A long conversation', :type_id, :status, 3, :project, now(),
                    '{}', now(), now()) RETURNING id
        """), {"type_id": people.type_id, "status": people.statuses[1],
               "project": people.projects[0]}).scalar_one()
        db.session.execute(text("""
            INSERT INTO message (item_id, is_public, body_html, author_user_id, created_at,
                                 updated_at)
            SELECT :item, g % 4 <> 0, '<p>Message ' || g || ': the till restarts again.</p>',
                   :agent, now() - (:n - g) * interval '10 minutes',
                   now() - (:n - g) * interval '10 minutes'
            FROM generate_series(1, :n) AS g
        """), {"item": item_id, "agent": people.agent_id, "n": MESSAGES})
        db.session.commit()
        return int(item_id)


def field_change(session: Session, item_id: int) -> Any:
    """A priority change through the REST API (alternating, so each call changes it)."""
    state = {"priority": 3}

    def call() -> Any:
        state["priority"] = 4 if state["priority"] == 3 else 3
        response = session.get(f"/api/v1/ticket/{item_id}", method="put",
                               json={"priority": state["priority"]})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response
    return call


def measure(app: Any, people: SimpleNamespace, item_id: int,
            requests: int) -> dict[str, list[float]]:
    from webapp.extensions import db

    def baseline() -> None:
        with app.app_context():
            db.session.execute(text("SELECT id FROM item ORDER BY id DESC LIMIT 50")).all()
            db.session.remove()

    session = Session(app, people.agent)
    return {
        "baseline SQL": timed(baseline, requests),
        "home (all queues)": timed(endpoint(session, "/"), requests),
        "inbox mine": timed(endpoint(session, "/workspace/inbox/mine"), requests),
        "inbox all open": timed(endpoint(session, "/workspace/inbox/open"), requests),
        "inbox rows json": timed(endpoint(session, "/workspace/inbox/rows?queue=mine"),
                                 requests),
        "queue counts json": timed(endpoint(session, "/workspace/inbox/counts"), requests),
        "ticket 200 msgs": timed(endpoint(session, f"/workspace/ticket/{item_id}"), requests),
        "field change": timed(field_change(session, item_id), requests),
    }


def main() -> None:
    sizes, requests = scale_options(__doc__.split("\n")[0])
    by_size: dict[int, dict[str, list[float]]] = {}
    with fresh_database() as url, tempfile.TemporaryDirectory() as data_dir:
        app = migrated_app(url, data_dir, WTF_CSRF_ENABLED=False, TESTING=True, REDIS_URL="")
        people = build_people(app)
        item_id = long_ticket(app, people)
        built = 0
        for size in sizes:
            seconds = grow(app, people, built + 1, size)
            log(f"built {size:,} items (+{size - built:,} in {seconds:.1f} s)")
            built = size
            by_size[size] = measure(app, people, item_id, requests)
            report(size, by_size[size])
        from webapp.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    largest, smallest = by_size[sizes[-1]], by_size[sizes[0]]
    cases = [name for name in largest if name != "baseline SQL"]
    base = percentile(largest["baseline SQL"], 0.95)
    worst = max(cases, key=lambda name: percentile(largest[name], 0.95))
    flat = max(percentile(largest[n], 0.95) / percentile(smallest[n], 0.95) for n in cases)
    print(f"\nworst p95 at {sizes[-1]:,}: {worst} {percentile(largest[worst], 0.95):.1f} ms")
    print(f"ratio={percentile(largest[worst], 0.95) / base:.1f}")
    print(f"flat={flat:.2f}")


if __name__ == "__main__":
    main()
