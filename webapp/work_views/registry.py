"""The work views' screens, in one "Views" menu, and the switcher between them."""

from __future__ import annotations

from typing import Any

MENU = "Views"
# (kind, label, endpoint of its page) — the switcher shown above every view.
WORK_VIEW_LINKS: list[tuple[str, str, str]] = []


def register_work_views(app: Any, appbuilder: Any) -> None:
    from webapp.work_views import board, calendar, dashboard, gantt, list_view, tree

    for part in (list_view, board, calendar, gantt, tree, dashboard):
        part.register(appbuilder, MENU, WORK_VIEW_LINKS)

    @app.context_processor
    def _work_view_links() -> dict[str, Any]:
        return {"work_view_links": WORK_VIEW_LINKS}
