"""Which Litestar channels backend carries the order wake-ups between kasir's processes.

Redis when REDIS_URL is set; PostgreSQL LISTEN/NOTIFY when DATABASE_URL is PostgreSQL (one
listening and one notifying connection per process, outside the request pool); in-process
memory otherwise, which only reaches streams of the same process (one SQLite process, the
tests). The Redis and PostgreSQL backends are kasir's subclasses of Litestar's (backends.py).
"""

from litestar.channels import ChannelsBackend, ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from entrypoints.http.live_status.backends import PgNotifyChannelsBackend, RedisChannelsBackend
from entrypoints.settings import Settings

ORDER_CHANNEL = "kasir_order_changes"
# Wake-ups waiting for a slow stream before the oldest are dropped (a stream re-reads anyway).
SUBSCRIBER_BACKLOG = 10_000


def channels_backend(settings: Settings) -> ChannelsBackend:
    if settings.redis_url is not None:
        return RedisChannelsBackend(
            redis=Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=5)
        )
    url = make_url(settings.database_url)
    if url.get_backend_name() == "postgresql":
        # asyncpg's own DSN: the URL without SQLAlchemy's driver name.
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return PgNotifyChannelsBackend(dsn=dsn)
    return MemoryChannelsBackend()


def channels_plugin(backend: ChannelsBackend) -> ChannelsPlugin:
    return ChannelsPlugin(
        backend=backend,
        channels=[ORDER_CHANNEL],
        subscriber_max_backlog=SUBSCRIBER_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )


def backend_name(backend: ChannelsBackend) -> str:
    """For the start-up log: which backend wakes the streams."""
    return {
        RedisChannelsBackend: "redis",
        PgNotifyChannelsBackend: "postgresql",
        MemoryChannelsBackend: "memory",
    }.get(type(backend), type(backend).__name__)
