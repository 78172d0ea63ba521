"""Flask-AppBuilder's data interface with our visibility rule and write check built in.

Every screen, REST API, related-field dropdown and get-by-id goes through a
``ScopedInterface``, so row-level visibility is enforced here once, not per view.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.exc import SQLAlchemyError

from webapp.access.scope import ANONYMOUS, Viewer, current_viewer, visibility_clause
from webapp.commands.errors import Invalid
from webapp.commands.write_check import check_write, integrity_message


def request_viewer() -> Viewer:
    return current_viewer() if has_request_context() else ANONYMOUS


class ScopedInterface(SQLAInterface):
    def apply_filters(self, query: Any, filters: Any) -> Any:
        query = super().apply_filters(query, filters)
        return query.filter(visibility_clause(self.obj, request_viewer()))

    def _checked(self, item: Any, *, is_new: bool, commit: bool) -> None:
        session = self.session
        try:
            check_write(session, item, request_viewer(), is_new=is_new)
            if commit:
                session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            raise Invalid(integrity_message(exc) if hasattr(exc, "orig") else str(exc)) from exc
        except Exception:
            session.rollback()
            raise

    def add(self, item: Any, commit: bool = True) -> None:
        self._checked(item, is_new=True, commit=commit)

    def edit(self, item: Any, commit: bool = True) -> None:
        self._checked(item, is_new=False, commit=commit)

    def commit(self) -> None:
        """Commit what ``add(…, commit=False)`` checked and flushed."""
        try:
            self.session.commit()
        except SQLAlchemyError as exc:
            self.session.rollback()
            raise Invalid(integrity_message(exc) if hasattr(exc, "orig") else str(exc)) from exc
