"""chat bot messages: each portal's messenger greeting and "away" reply per language, the
business calendar whose hours the chat is staffed, and after how many minutes without an
agent's answer the away reply shows

Revision ID: 0011_chat_bot_messages
Revises: 0009_dashboard_indexes
Create Date: 2026-12-07 21:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_chat_bot_messages'
down_revision = '0009_dashboard_indexes'
branch_labels = None
depends_on = None

TEXTS = ['chat_greeting_en', 'chat_greeting_pt', 'chat_greeting_es',
         'chat_away_en', 'chat_away_pt', 'chat_away_es']


def upgrade():
    with op.batch_alter_table('portal', schema=None) as batch_op:
        for name in TEXTS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('chat_calendar_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chat_away_after_minutes', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_portal_chat_calendar_id_business_calendar',
                                    'business_calendar', ['chat_calendar_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('portal', schema=None) as batch_op:
        batch_op.drop_constraint('fk_portal_chat_calendar_id_business_calendar',
                                 type_='foreignkey')
        batch_op.drop_column('chat_away_after_minutes')
        batch_op.drop_column('chat_calendar_id')
        for name in reversed(TEXTS):
            batch_op.drop_column(name)
