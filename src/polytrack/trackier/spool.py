"""The click spool: live clicks are stored in one append-only table and folded into the click
table, the unique-click keys and the daily summary in batches.

Why: a click batch of the group commit used to write, besides the click rows, a page of each
index whose entries scatter (by campaign), of the unique-click keys and of the daily summary for
nearly every click: ~3 pages of WAL per click, most of a click's cost. A spooled click appends
its row to one B-tree; the fold moves thousands at a time, with a few SQL statements (no Python
per row), and the scattered pages it writes are shared by many clicks.

What stays exact:
- Nothing acknowledged is lost: a spooled click is committed before its answer, and a fold
  moves rows in one transaction (also after a kill: the next fold takes them).
- Uniqueness is decided in arrival order, as before: the fold inserts the keys ordered by
  spool id, the first of a key wins.
- Readers never see a half state: every API call, a postback or pixel that does not find its
  click, and a conversion import fold what is pending first (`settle`), so a click is in every
  answer as soon as its redirect went out.
- Clicks of campaigns with click caps are not spooled (tracking.store_or_spool_clicks): a cap
  counts the daily summary at once, click by click.

On PostgreSQL the folds of several workers take turns (a transaction-level advisory lock), and
each moves the rows it deletes from the spool (DELETE ... RETURNING into a temporary table), so
a click committed meanwhile stays for the next fold instead of being missed.
"""

from __future__ import annotations

from polytrack.kernel.hot import HotDB
from polytrack.kernel.sql import Db, Statement
from polytrack.trackier import summary

# the click columns a spooled row holds, in the order of tracking.Click.row
COLUMNS = ("object_id, network_id, campaign_id, publisher_id, landing_page_id, created_at, ipaddr, country, device, "
           "os, browser, source, rejected, payout_micros, revenue_micros, params, day, referer_host")
# Rows per fold transaction: SQLite's write lock is held meanwhile (the clicks of the worker's
# next batches wait for it), so a few milliseconds' worth.
FOLD_ROWS = 2000
# Arbitrary, fixed: the key of the PostgreSQL advisory lock the folds take turns with.
_FOLD_LOCK_KEY = 0x7472616B  # "trak"

SPOOL = Statement(f"INSERT INTO trackier_click_spool ({COLUMNS}) VALUES ({', '.join('?' * 18)})")
_PENDING = Statement("SELECT 1 FROM trackier_click_spool LIMIT 1")

_TAKE_TURN = Statement(f"SELECT pg_advisory_xact_lock({_FOLD_LOCK_KEY})")
# the rows of this fold, in a temporary table of the connection
_FOLD_TABLE = {
    "sqlite": Statement("CREATE TEMP TABLE IF NOT EXISTS trackier_fold AS SELECT * FROM trackier_click_spool WHERE 0"),
    "postgresql": Statement("CREATE TEMP TABLE IF NOT EXISTS trackier_fold (LIKE trackier_click_spool) "
                            "ON COMMIT DELETE ROWS"),
}
_TAKE = {
    # the transaction holds SQLite's write lock: nothing commits between the two statements
    "sqlite": (Statement("INSERT INTO trackier_fold SELECT * FROM trackier_click_spool ORDER BY id LIMIT ?"),
               Statement("DELETE FROM trackier_click_spool WHERE id <= (SELECT MAX(id) FROM trackier_fold)")),
    "postgresql": (Statement("WITH taken AS (DELETE FROM trackier_click_spool WHERE id IN (SELECT id FROM "
                             "trackier_click_spool ORDER BY id LIMIT ?) RETURNING *) "
                             "INSERT INTO trackier_fold SELECT * FROM taken"),),
}
# The first click of a key wins (spool order); keys sorted, so that PostgreSQL takes the key
# locks in the order the click batches of capped campaigns take them.
_ADD_VISITS = Statement(
    "INSERT INTO trackier_unique_clicks (campaign_id, publisher_id, day, address, click_id) "
    "SELECT campaign_id, publisher_id, day, COALESCE(ipaddr, ''), object_id FROM trackier_fold WHERE true "
    "ORDER BY day, campaign_id, publisher_id, COALESCE(ipaddr, ''), id ON CONFLICT DO NOTHING")
# A click whose campaign or publisher was deleted meanwhile goes with them (the click table's
# foreign keys cascade); a deleted landing page leaves the click without one (SET NULL).
_ADD_CLICKS = Statement(
    f"INSERT INTO trackier_clicks ({COLUMNS}, is_unique) "
    "SELECT f.object_id, f.network_id, f.campaign_id, f.publisher_id, "
    "(SELECT p.id FROM trackier_landing_pages p WHERE p.id = f.landing_page_id), f.created_at, f.ipaddr, f.country, "
    "f.device, f.os, f.browser, f.source, f.rejected, f.payout_micros, f.revenue_micros, f.params, f.day, "
    "f.referer_host, EXISTS (SELECT 1 FROM trackier_unique_clicks u WHERE u.day = f.day "
    "AND u.campaign_id = f.campaign_id AND u.publisher_id = f.publisher_id AND u.address = COALESCE(f.ipaddr, '') "
    "AND u.click_id = f.object_id) "
    "FROM trackier_fold f WHERE EXISTS (SELECT 1 FROM trackier_campaigns c WHERE c.id = f.campaign_id) "
    "AND EXISTS (SELECT 1 FROM trackier_users p WHERE p.id = f.publisher_id) ORDER BY f.id")
_CLEAR = Statement("DELETE FROM trackier_fold")


def spool(db: Db, rows: list) -> None:
    """Store click rows (tracking.Click.row) in the caller's transaction."""
    db.many(SPOOL, rows)


def pending(db: Db) -> bool:
    return db.one(_PENDING) is not None


def fold(db: Db, limit: int = FOLD_ROWS) -> int:
    """Move up to `limit` spooled clicks, oldest first, into the click table, the unique-click
    keys and the daily summary, in the caller's transaction; returns how many were taken."""
    dialect = db.dialect
    if dialect == "postgresql":
        db.one(_TAKE_TURN)
    db.run(_FOLD_TABLE[dialect])
    taken = 0
    for number, statement in enumerate(_TAKE[dialect]):
        cursor = db.run(statement, (limit,) if number == 0 else ())
        taken = cursor.rowcount if number == 0 else taken
    if taken:
        db.run(_ADD_VISITS)
        db.run(_ADD_CLICKS)
        summary.add_folded_clicks(db)
    db.run(_CLEAR)
    return taken


def settle(db: HotDB) -> int:
    """Fold everything pending, a transaction per FOLD_ROWS clicks (what a reader calls first:
    a cheap check when nothing is); returns how many clicks were folded."""
    folded = 0
    while pending(db):
        with db.transaction():
            taken = fold(db)
        folded += taken
        if taken < FOLD_ROWS:
            break
    return folded
