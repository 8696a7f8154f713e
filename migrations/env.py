"""Alembic environment: the registry tables, URL from settings unless given."""

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import registry.tables  # noqa: F401  (registers the tables on the metadata)
from domain.settings import get_settings
from registry.database import engine_for

config = context.config
target_metadata = SQLModel.metadata
# PostgreSQL advisory lock key of the registry's migrations ("alliance" as a number): a
# worker, web processes and the migrate job starting together migrate one at a time; the
# later ones find the schema current.
MIGRATION_LOCK = 0x616C6C69616E6365


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().registry_url()
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    with engine_for(url).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # held until this transaction ends, so the version read follows the lock
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            context.run_migrations()
        connection.commit()


run_migrations()
