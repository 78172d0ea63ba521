"""email channel: support addresses, inbound mail (raw), Message-ID index, mail templates

Revision ID: 0003_email
Revises: 0002_events
Create Date: 2026-11-23 19:07:26.771640
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_email'
down_revision = '0002_events'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_type')
    )
    op.create_table('support_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('signature', sa.Text(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('item_type_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_type_id'], ['item_type.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('address')
    )
    with op.batch_alter_table('support_address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_address_project_id'), ['project_id'], unique=False)

    op.create_table('inbound_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('peer', sa.String(length=100), nullable=True),
    sa.Column('envelope_from', sa.String(length=320), nullable=True),
    sa.Column('envelope_to', sa.JSON(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('received', 'ticket', 'reply', 'ignored', 'rejected', name='inbound_status', native_enum=False, length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.Column('rfc_message_id', sa.String(length=255), nullable=True),
    sa.Column('sender', sa.String(length=320), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('auto_reason', sa.String(length=300), nullable=True),
    sa.Column('support_address_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('processed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['support_address_id'], ['support_address.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_mail_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_mail_rfc_message_id'), ['rfc_message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_mail_sender'), ['sender'], unique=False)
        batch_op.create_index('ix_inbound_mail_status_id', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_mail_support_address_id'), ['support_address_id'], unique=False)

    op.create_table('mail_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rfc_message_id', sa.String(length=255), nullable=False),
    sa.Column('direction', sa.Enum('in', 'out', name='mail_direction', native_enum=False, length=20), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('inbound_mail_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=320), nullable=True),
    sa.Column('template', sa.String(length=80), nullable=True),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.Column('original_html', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['inbound_mail_id'], ['inbound_mail.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('rfc_message_id')
    )
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.create_index('ix_mail_message_address_created', ['address', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_message_inbound_mail_id'), ['inbound_mail_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_message_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_message_message_id'), ['message_id'], unique=False)



def downgrade():
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_message_message_id'))
        batch_op.drop_index(batch_op.f('ix_mail_message_item_id'))
        batch_op.drop_index(batch_op.f('ix_mail_message_inbound_mail_id'))
        batch_op.drop_index('ix_mail_message_address_created')

    op.drop_table('mail_message')
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_mail_support_address_id'))
        batch_op.drop_index('ix_inbound_mail_status_id')
        batch_op.drop_index(batch_op.f('ix_inbound_mail_sender'))
        batch_op.drop_index(batch_op.f('ix_inbound_mail_rfc_message_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_mail_item_id'))

    op.drop_table('inbound_mail')
    with op.batch_alter_table('support_address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_address_project_id'))

    op.drop_table('support_address')
    op.drop_table('mail_template')
