"""view indexes: keyset pages of the list sorted by last update, priority and (PostgreSQL)
due date descending with NULLs last stay index scans at a million items

Revision ID: 0008_view_indexes
Revises: 0007_views
Create Date: 2026-11-23 22:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_view_indexes'
down_revision = '0007_views'
branch_labels = None
depends_on = None

# Database-only (no model Index): SQLite cannot declare NULLS LAST in an index, and there
# a backward scan of ix_item_due_at_id already gives "due_at DESC NULLS LAST" (NULL sorts
# lowest); PostgreSQL sorts NULL highest, so "-due_at" needs an index of its own.
DUE_DESC = "ix_item_due_at_desc_id"


def upgrade():
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index('ix_item_updated_at_id', ['updated_at', 'id'], unique=False)
        batch_op.create_index('ix_item_priority_id', ['priority', 'id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(DUE_DESC, 'item',
                        [sa.text('due_at DESC NULLS LAST'), sa.text('id DESC')])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(DUE_DESC, table_name='item')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_priority_id')
        batch_op.drop_index('ix_item_updated_at_id')
