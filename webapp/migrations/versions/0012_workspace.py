"""agent workspace: which items each staff user has seen (unread state), staff profiles
(language, time zone, last project), statuses that wait on the customer, pinned saved views

Revision ID: 0012_workspace
Revises: 0010_org_requests_project, 0011_chat_bot_messages
Create Date: 2026-12-07 23:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_workspace'
down_revision = ('0010_org_requests_project', '0011_chat_bot_messages')
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'item_seen',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['item.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'item_id'),
    )
    op.create_index('ix_item_seen_item_id', 'item_seen', ['item_id'])
    op.create_table(
        'staff_profile',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('locale', sa.String(length=5), nullable=True),
        sa.Column('time_zone', sa.String(length=64), nullable=True),
        sa.Column('last_project_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['last_project_id'], ['project.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )
    with op.batch_alter_table('status', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waits_on_customer', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # The shipped "Waiting on customer" statuses (and any named alike) wait on the customer.
    op.execute("UPDATE status SET waits_on_customer = "
               + ("true" if op.get_bind().dialect.name == "postgresql" else "1")
               + " WHERE lower(name) LIKE 'waiting%'")
    with op.batch_alter_table('saved_view', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pinned', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('saved_view', schema=None) as batch_op:
        batch_op.drop_column('pinned')
    with op.batch_alter_table('status', schema=None) as batch_op:
        batch_op.drop_column('waits_on_customer')
    op.drop_table('staff_profile')
    op.drop_index('ix_item_seen_item_id', table_name='item_seen')
    op.drop_table('item_seen')
