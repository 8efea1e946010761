"""trackier: unique-click keys ordered by day first, so past days can be pruned as one range

Revision ID: trackier_0010
Revises: trackier_0009
Create Date: 2026-12-03 17:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'trackier_0010'
down_revision = 'trackier_0009'
branch_labels = None
depends_on = None

KEY_COLUMNS = "campaign_id, publisher_id, day, address, click_id"


def _rebuild(primary_key: tuple[str, ...]) -> None:
    """The table again with another primary key, its rows copied (only today's and yesterday's
    keys are ever consulted; a migration may keep them all: the pruning drops the rest)."""
    op.rename_table('trackier_unique_clicks', 'trackier_unique_clicks_old')
    if op.get_bind().dialect.name == "postgresql":  # the old key's name stays with the old table
        op.execute("ALTER TABLE trackier_unique_clicks_old RENAME CONSTRAINT pk_trackier_unique_clicks "
                   "TO pk_trackier_unique_clicks_old")
    columns = {
        'day': sa.Column('day', sa.Integer(), nullable=False),
        'campaign_id': sa.Column('campaign_id', sa.Integer(), nullable=False),
        'publisher_id': sa.Column('publisher_id', sa.Integer(), nullable=False),
        'address': sa.Column('address', sa.String(length=45), nullable=False),
    }
    op.create_table('trackier_unique_clicks',
                    *(columns[name] for name in primary_key),
                    sa.Column('click_id', sa.String(length=24), nullable=False),
                    sa.PrimaryKeyConstraint(*primary_key, name='pk_trackier_unique_clicks'))
    op.execute(f"INSERT INTO trackier_unique_clicks ({KEY_COLUMNS}) "
               f"SELECT {KEY_COLUMNS} FROM trackier_unique_clicks_old")
    op.drop_table('trackier_unique_clicks_old')


def upgrade() -> None:
    _rebuild(('day', 'campaign_id', 'publisher_id', 'address'))


def downgrade() -> None:
    _rebuild(('campaign_id', 'publisher_id', 'day', 'address'))
