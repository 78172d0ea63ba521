"""dashboard indexes: the figures of a date range (items opened and solved, first replies,
ratings, hours logged) read that range through an index instead of whole tables

Revision ID: 0009_dashboard_indexes
Revises: 0008_view_indexes
Create Date: 2026-11-24 01:20:00
"""
from alembic import op


revision = '0009_dashboard_indexes'
down_revision = '0008_view_indexes'
branch_labels = None
depends_on = None

INDEXES = [
    ('item', 'ix_item_created_at', ['created_at']),
    ('item', 'ix_item_status_changed_at', ['status_changed_at']),
    ('message', 'ix_message_created_at', ['created_at']),
    ('satisfaction_rating', 'ix_satisfaction_rating_created_at', ['created_at']),
    ('timesheet', 'ix_timesheet_work_date', ['work_date']),
]


def upgrade():
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    for table, name, _ in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
