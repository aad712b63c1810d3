"""Alembic, configured in code: the migrations ship inside this package, no alembic.ini needed.

await upgrade_database("sqlite+aiosqlite:///./kasir.db")
alembic.command.revision(alembic_config(url), autogenerate=True, message="...")
"""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import create_engine_for

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic Config pointing at the packaged migrations and the database `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    # ConfigParser interpolation: a literal % (e.g. in a password) must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade_database(url: str, revision: str = "head") -> None:
    """Apply the migrations up to `revision` on the database at `url`."""
    engine = create_engine_for(url)
    try:
        await upgrade_engine(engine, revision, url=url)
    finally:
        await engine.dispose()


async def upgrade_engine(engine: AsyncEngine, revision: str = "head", *, url: str = "") -> None:
    """Apply the migrations through an existing engine (needed for `:memory:` databases)."""
    config = alembic_config(url or engine.url.render_as_string(hide_password=False))
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, config, revision)


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
