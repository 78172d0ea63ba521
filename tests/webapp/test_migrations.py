"""The Alembic migrations produce exactly the schema the models declare, on each backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.extensions import db
from webapp.models import Model

# Expression indexes that exist only in the database (PostgreSQL full-text search); the
# queries that use them live beside their expression (webapp/knowledge/search.py).
DATABASE_ONLY_INDEXES = {"ix_kb_article_search", "ix_item_due_at_desc_id"}


def _declared(obj, name, type_, reflected, compare_to):
    return not (type_ == "index" and reflected and name in DATABASE_ONLY_INDEXES)


def test_migrated_schema_matches_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _declared})
        diff = compare_metadata(context, Model.metadata)
    assert diff == []


def test_upgrade_is_idempotent(app):
    from webapp.cli import upgrade_database

    upgrade_database(app)  # a second run changes nothing and does not fail
    with app.app_context():
        roles = {r.name for r in app.appbuilder.sm.get_all_roles()}
    assert {"Admin", "Agent", "Collaborator", "Read-only"} <= roles
