from sqlalchemy import inspect

from registry.database import engine_for


def test_migrations_create_every_registry_table(registry_url):
    tables = set(inspect(engine_for(registry_url)).get_table_names())
    assert {"alliance", "audit_log", "email", "objection", "certificate", "calendaryear"} <= tables
