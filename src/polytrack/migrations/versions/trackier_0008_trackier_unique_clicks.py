"""trackier: unique clicks decided by a primary key (simultaneous first clicks were both unique)

Revision ID: trackier_0008
Revises: trackier_0007
Create Date: 2026-12-03 14:35:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'trackier_0008'
down_revision = 'trackier_0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('trackier_unique_clicks',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('publisher_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('click_id', sa.String(length=24), nullable=False),
    sa.PrimaryKeyConstraint('campaign_id', 'publisher_id', 'day', 'address')
    )
    # the clicks recorded so far: each key's first click
    op.execute(
        "INSERT INTO trackier_unique_clicks (campaign_id, publisher_id, day, address, click_id) "
        "SELECT campaign_id, publisher_id, day, COALESCE(ipaddr, ''), object_id FROM trackier_clicks "
        "WHERE id IN (SELECT MIN(id) FROM trackier_clicks WHERE day IS NOT NULL "
        "GROUP BY campaign_id, publisher_id, day, COALESCE(ipaddr, ''))")


def downgrade() -> None:
    op.drop_table('trackier_unique_clicks')
