"""trackier: the click spool (clicks stored by the tracking endpoints, folded into trackier_clicks in batches)

Revision ID: trackier_0012
Revises: trackier_0011
Create Date: 2026-12-03 21:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = 'trackier_0012'
down_revision = 'trackier_0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'trackier_click_spool',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('object_id', sa.String(length=24), nullable=False),
        sa.Column('network_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('publisher_id', sa.Integer(), nullable=False),
        sa.Column('landing_page_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('ipaddr', sa.String(length=45), nullable=True),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('device', sa.String(length=16), nullable=False),
        sa.Column('os', sa.String(length=64), nullable=False),
        sa.Column('browser', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=255), nullable=True),
        sa.Column('rejected', sa.String(length=32), nullable=True),
        sa.Column('payout_micros', sa.BigInteger(), nullable=False),
        sa.Column('revenue_micros', sa.BigInteger(), nullable=False),
        sa.Column('params', sa.Text(), nullable=False),
        sa.Column('day', sa.Integer(), nullable=True),
        sa.Column('referer_host', sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('trackier_click_spool')
