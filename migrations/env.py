"""Alembic environment: the registry tables, URL from settings unless given."""

from alembic import context
from sqlmodel import SQLModel

import registry.tables  # noqa: F401  (registers the tables on the metadata)
from domain.settings import get_settings
from registry.database import engine_for

config = context.config
target_metadata = SQLModel.metadata


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
            context.run_migrations()
        connection.commit()


run_migrations()
