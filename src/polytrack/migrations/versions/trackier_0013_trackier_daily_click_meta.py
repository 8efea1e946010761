"""trackier: the stats' count maps (device, OS, referer, country per day) pre-summed, filled from the clicks so far

Revision ID: trackier_0013
Revises: trackier_0012
Create Date: 2026-12-03 21:50:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = 'trackier_0013'
down_revision = 'trackier_0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'trackier_daily_click_meta',
        sa.Column('network_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('publisher_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('dimension', sa.String(length=8), nullable=False),
        sa.Column('value', sa.String(length=255), nullable=False),
        sa.Column('clicks', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('campaign_id', 'publisher_id', 'day', 'dimension', 'value'),
    )
    op.create_index('ix_trackier_daily_click_meta_network_day', 'trackier_daily_click_meta', ['network_id', 'day'])
    # the clicks recorded so far (the text of the summary's rebuild when this was written, kept
    # here as it was: a migration must not change with the code)
    op.execute((
        'INSERT INTO trackier_daily_click_meta (network_id, campaign_id, publisher_id, day, dimension, value,'
        " clicks) SELECT * FROM (SELECT network_id, campaign_id, publisher_id, day, 'device' AS dimension, "
        'device AS value, COUNT(*) AS clicks FROM trackier_clicks WHERE true AND rejected IS NULL AND day IS '
        'NOT NULL GROUP BY network_id, campaign_id, publisher_id, day, device UNION ALL SELECT network_id, '
        "campaign_id, publisher_id, day, 'os' AS dimension, os AS value, COUNT(*) AS clicks FROM "
        'trackier_clicks WHERE true AND rejected IS NULL AND day IS NOT NULL GROUP BY network_id, '
        'campaign_id, publisher_id, day, os UNION ALL SELECT network_id, campaign_id, publisher_id, day, '
        "'referer' AS dimension, COALESCE(referer_host, '') AS value, COUNT(*) AS clicks FROM trackier_clicks"
        ' WHERE true AND rejected IS NULL AND day IS NOT NULL GROUP BY network_id, campaign_id, publisher_id,'
        " day, COALESCE(referer_host, '') UNION ALL SELECT network_id, campaign_id, publisher_id, day, "
        "'country' AS dimension, country AS value, COUNT(*) AS clicks FROM trackier_clicks WHERE true AND "
        'rejected IS NULL AND day IS NOT NULL GROUP BY network_id, campaign_id, publisher_id, day, country) '
        'AS counts WHERE true ORDER BY campaign_id, publisher_id, day, dimension, value ON CONFLICT '
        '(campaign_id, publisher_id, day, dimension, value) DO UPDATE SET clicks = '
        'trackier_daily_click_meta.clicks + excluded.clicks'))


def downgrade() -> None:
    op.drop_index('ix_trackier_daily_click_meta_network_day', table_name='trackier_daily_click_meta')
    op.drop_table('trackier_daily_click_meta')
