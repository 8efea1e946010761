"""trackier: the daily summary of clicks, impressions and conversions, filled from the events so far

Revision ID: trackier_0009
Revises: trackier_0008
Create Date: 2026-12-03 14:45:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'trackier_0009'
down_revision = 'trackier_0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('trackier_daily_stats',
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('publisher_id', sa.Integer(), nullable=False),
    sa.Column('goal_slot', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('gross_clicks', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('unique_clicks', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('rejected_clicks', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('click_payout', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('click_revenue', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('approved', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('pending', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('rejected', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('cancelled', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('payout', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('revenue', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('sale', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('pending_sale', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('pending_payout', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('pending_revenue', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('gross_revenue', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('default_payout', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('default_revenue', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('default_conversions', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('sales', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('elapsed1', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('elapsed2', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('elapsed3', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('elapsed4', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('elapsed5', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('impressions', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('campaign_id', 'publisher_id', 'goal_slot', 'day')
    )
    op.create_index('ix_trackier_daily_stats_network_day', 'trackier_daily_stats', ['network_id', 'day'], unique=False)
    # the events recorded so far (the text of summary.REBUILD when this was written, kept here
    # as it was: a migration must not change with the code)
    op.execute((
        'INSERT INTO trackier_daily_stats (network_id, campaign_id, publisher_id, goal_slot, day, '
        'gross_clicks, unique_clicks, rejected_clicks, click_payout, click_revenue) SELECT network_id, '
        'campaign_id, publisher_id, 0, day, SUM(CASE WHEN rejected IS NULL THEN 1 ELSE 0 END), SUM(CASE WHEN '
        'rejected IS NULL AND is_unique THEN 1 ELSE 0 END), SUM(CASE WHEN rejected IS NULL THEN 0 ELSE 1 '
        'END), SUM(CASE WHEN rejected IS NULL THEN payout_micros ELSE 0 END), SUM(CASE WHEN rejected IS NULL '
        'THEN revenue_micros ELSE 0 END) FROM trackier_clicks WHERE day IS NOT NULL GROUP BY network_id, '
        'campaign_id, publisher_id, day ON CONFLICT (campaign_id, publisher_id, goal_slot, day) DO UPDATE SET'
        ' gross_clicks = trackier_daily_stats.gross_clicks + excluded.gross_clicks, unique_clicks = '
        'trackier_daily_stats.unique_clicks + excluded.unique_clicks, rejected_clicks = '
        'trackier_daily_stats.rejected_clicks + excluded.rejected_clicks, click_payout = '
        'trackier_daily_stats.click_payout + excluded.click_payout, click_revenue = '
        'trackier_daily_stats.click_revenue + excluded.click_revenue'))
    op.execute((
        'INSERT INTO trackier_daily_stats (network_id, campaign_id, publisher_id, goal_slot, day, '
        'impressions) SELECT network_id, campaign_id, publisher_id, 0, day, COUNT(*) FROM '
        'trackier_impressions WHERE day IS NOT NULL GROUP BY network_id, campaign_id, publisher_id, day ON '
        'CONFLICT (campaign_id, publisher_id, goal_slot, day) DO UPDATE SET impressions = '
        'trackier_daily_stats.impressions + excluded.impressions'))
    op.execute((
        'INSERT INTO trackier_daily_stats (network_id, campaign_id, publisher_id, goal_slot, day, approved, '
        'pending, rejected, cancelled, payout, revenue, sale, pending_sale, pending_payout, pending_revenue, '
        'gross_revenue, default_payout, default_revenue, default_conversions, sales, elapsed1, elapsed2, '
        'elapsed3, elapsed4, elapsed5) SELECT v.network_id, v.campaign_id, v.publisher_id, v.goal_slot, '
        "v.day, SUM(CASE WHEN v.status = 'approved' THEN 1 ELSE 0 END), SUM(CASE WHEN v.status = 'pending' "
        "THEN 1 ELSE 0 END), SUM(CASE WHEN v.status = 'rejected' THEN 1 ELSE 0 END), SUM(CASE WHEN v.status ="
        " 'cancelled' THEN 1 ELSE 0 END), SUM(CASE WHEN v.status = 'approved' THEN v.payout_micros ELSE 0 "
        "END), SUM(CASE WHEN v.status = 'approved' THEN v.revenue_micros ELSE 0 END), SUM(CASE WHEN v.status "
        "= 'approved' THEN COALESCE(v.sale_micros, 0) ELSE 0 END), SUM(CASE WHEN v.status = 'pending' THEN "
        "COALESCE(v.sale_micros, 0) ELSE 0 END), SUM(CASE WHEN v.status = 'pending' THEN v.payout_micros ELSE"
        " 0 END), SUM(CASE WHEN v.status = 'pending' THEN v.revenue_micros ELSE 0 END), "
        "SUM(v.revenue_micros), SUM(CASE WHEN v.status = 'approved' AND v.goal_id IS NULL THEN "
        "v.payout_micros ELSE 0 END), SUM(CASE WHEN v.status = 'approved' AND v.goal_id IS NULL THEN "
        "v.revenue_micros ELSE 0 END), SUM(CASE WHEN v.status = 'approved' AND v.goal_id IS NULL THEN 1 ELSE "
        "0 END), SUM(CASE WHEN v.status = 'approved' AND v.goal_id IS NOT NULL AND v.sale_micros IS NOT NULL "
        "THEN 1 ELSE 0 END), SUM(CASE WHEN v.status = 'approved' AND (v.created_at - k.created_at) >= 0 AND "
        "(v.created_at - k.created_at) < 120 THEN 1 ELSE 0 END), SUM(CASE WHEN v.status = 'approved' AND "
        '(v.created_at - k.created_at) >= 120 AND (v.created_at - k.created_at) < 600 THEN 1 ELSE 0 END), '
        "SUM(CASE WHEN v.status = 'approved' AND (v.created_at - k.created_at) >= 600 AND (v.created_at - "
        "k.created_at) < 1800 THEN 1 ELSE 0 END), SUM(CASE WHEN v.status = 'approved' AND (v.created_at - "
        'k.created_at) >= 1800 AND (v.created_at - k.created_at) < 18000 THEN 1 ELSE 0 END), SUM(CASE WHEN '
        "v.status = 'approved' AND (v.created_at - k.created_at) >= 18000 THEN 1 ELSE 0 END) FROM "
        'trackier_conversions v JOIN trackier_clicks k ON k.id = v.click_id WHERE v.day IS NOT NULL GROUP BY '
        'v.network_id, v.campaign_id, v.publisher_id, v.goal_slot, v.day ON CONFLICT (campaign_id, '
        'publisher_id, goal_slot, day) DO UPDATE SET approved = trackier_daily_stats.approved + '
        'excluded.approved, pending = trackier_daily_stats.pending + excluded.pending, rejected = '
        'trackier_daily_stats.rejected + excluded.rejected, cancelled = trackier_daily_stats.cancelled + '
        'excluded.cancelled, payout = trackier_daily_stats.payout + excluded.payout, revenue = '
        'trackier_daily_stats.revenue + excluded.revenue, sale = trackier_daily_stats.sale + excluded.sale, '
        'pending_sale = trackier_daily_stats.pending_sale + excluded.pending_sale, pending_payout = '
        'trackier_daily_stats.pending_payout + excluded.pending_payout, pending_revenue = '
        'trackier_daily_stats.pending_revenue + excluded.pending_revenue, gross_revenue = '
        'trackier_daily_stats.gross_revenue + excluded.gross_revenue, default_payout = '
        'trackier_daily_stats.default_payout + excluded.default_payout, default_revenue = '
        'trackier_daily_stats.default_revenue + excluded.default_revenue, default_conversions = '
        'trackier_daily_stats.default_conversions + excluded.default_conversions, sales = '
        'trackier_daily_stats.sales + excluded.sales, elapsed1 = trackier_daily_stats.elapsed1 + '
        'excluded.elapsed1, elapsed2 = trackier_daily_stats.elapsed2 + excluded.elapsed2, elapsed3 = '
        'trackier_daily_stats.elapsed3 + excluded.elapsed3, elapsed4 = trackier_daily_stats.elapsed4 + '
        'excluded.elapsed4, elapsed5 = trackier_daily_stats.elapsed5 + excluded.elapsed5'))


def downgrade() -> None:
    op.drop_index('ix_trackier_daily_stats_network_day', table_name='trackier_daily_stats')
    op.drop_table('trackier_daily_stats')
