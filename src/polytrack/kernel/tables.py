"""Tables the kernel owns: session tokens, rate-limit windows and the API call log."""

from sqlalchemy import BigInteger, Column, Float, Index, Integer, MetaData, String, Table

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The one MetaData of every polytrack table, the kernel's and each API's (Alembic, `wipe`
# and the tests see the whole schema through it).
metadata = MetaData(naming_convention=NAMING_CONVENTION)

# A session token (PAYT ticket, Mapp token, TrackerPro launch token ...). Only the digest of
# the token is stored. Times are unix seconds (floats) so expiry checks are plain arithmetic.
kernel_tokens = Table(
    "kernel_tokens",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("api", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("subject", String(128), nullable=False),
    Column("scope", String(255), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float, nullable=False),
    Column("idle_seconds", Float, nullable=False),
    Column("single_use", Integer, nullable=False, default=0),
    Index("ix_kernel_tokens_subject", "api", "kind", "subject"),
)

# One row per rate-limit key, shared by all worker processes: the count of the current fixed
# window (starting at window_start, unix seconds) and of the one before it.
kernel_rate_windows = Table(
    "kernel_rate_windows",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("window_start", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    Column("previous_count", Integer, nullable=False, default=0),
)

# Every API call, logged and timed (the PAYT docs promise this; operators want it for all APIs).
kernel_call_log = Table(
    "kernel_call_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("api", String(32), nullable=False),
    Column("operation", String(128), nullable=False),
    Column("account", String(255), nullable=False, default=""),
    Column("outcome", String(64), nullable=False),
    Column("duration_ms", Float, nullable=False),
    Index("ix_kernel_call_log_api_at", "api", "at"),
)
