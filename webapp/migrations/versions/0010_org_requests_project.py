"""organization requests project: at most one project per organization is the one the recipe
"Put each organization's requests in its own project" moves tickets into (a partial unique
index), so two workers running it at the same moment cannot create two

Databases from before may already hold several projects of one organization (the race this
closes, or projects made by hand): the oldest non-template one is marked, which is the one
the recipe picked until now.

Revision ID: 0010_org_requests_project
Revises: 0009_dashboard_indexes
Create Date: 2026-12-07 21:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_org_requests_project'
down_revision = '0009_dashboard_indexes'
branch_labels = None
depends_on = None

INDEX = 'uq_project_org_requests'


def upgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_org_requests', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
    op.execute(sa.text(
        "UPDATE project SET is_org_requests = :yes WHERE id IN ("
        " SELECT MIN(id) FROM project WHERE organization_id IS NOT NULL"
        " AND is_template = :no GROUP BY organization_id)"
    ).bindparams(yes=True, no=False))
    op.create_index(INDEX, 'project', ['organization_id'], unique=True,
                    postgresql_where=sa.text('is_org_requests'),
                    sqlite_where=sa.text('is_org_requests'))


def downgrade():
    op.drop_index(INDEX, table_name='project')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_column('is_org_requests')
