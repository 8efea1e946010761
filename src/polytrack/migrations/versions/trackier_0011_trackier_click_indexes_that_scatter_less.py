"""trackier: click indexes whose new entries scatter less (one page written per click each at commit)

(campaign_id, publisher_id, created_at) put every click of a batch on another page; caps on some
countries and reports of some campaigns read a campaign's clicks by day instead, and the
network's day index no longer ends with the campaign.

Revision ID: trackier_0011
Revises: trackier_0010
Create Date: 2026-12-03 17:50:00.000000
"""
from alembic import op


revision = 'trackier_0011'
down_revision = 'trackier_0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_trackier_clicks_campaign_time', table_name='trackier_clicks')
    op.drop_index('ix_trackier_clicks_network_day', table_name='trackier_clicks')
    op.create_index('ix_trackier_clicks_network_day', 'trackier_clicks', ['network_id', 'day'])
    op.create_index('ix_trackier_clicks_campaign_day', 'trackier_clicks', ['campaign_id', 'day'])


def downgrade() -> None:
    op.drop_index('ix_trackier_clicks_campaign_day', table_name='trackier_clicks')
    op.drop_index('ix_trackier_clicks_network_day', table_name='trackier_clicks')
    op.create_index('ix_trackier_clicks_network_day', 'trackier_clicks', ['network_id', 'day', 'campaign_id'])
    op.create_index('ix_trackier_clicks_campaign_time', 'trackier_clicks', ['campaign_id', 'publisher_id', 'created_at'])
