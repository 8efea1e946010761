"""avidtrak: the daily e-mail outbox

Revision ID: avidtrak_0005
Revises: avidtrak_0004
Create Date: 2026-12-03 15:43:39.740159
"""
from alembic import op
import sqlalchemy as sa


revision = 'avidtrak_0005'
down_revision = 'avidtrak_0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('avidtrak_daily_emails',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_avidtrak_daily_emails')),
    sa.UniqueConstraint('day', 'recipient', name='uq_avidtrak_daily_emails_day_recipient')
    )
    with op.batch_alter_table('avidtrak_daily_emails', schema=None) as batch_op:
        batch_op.create_index('ix_avidtrak_daily_emails_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('avidtrak_email_days',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_avidtrak_email_days'))
    )


def downgrade() -> None:
    op.drop_table('avidtrak_email_days')
    with op.batch_alter_table('avidtrak_daily_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_avidtrak_daily_emails_due')

    op.drop_table('avidtrak_daily_emails')
