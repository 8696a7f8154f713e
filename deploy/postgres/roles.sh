#!/bin/sh
# One role and one database each for the registry, Temporal's persistence and Temporal's
# visibility: a role reaches only its own database. Run by the `postgres-roles` job at every
# `docker compose up`: it creates what is missing and sets each password from .env, so a
# changed password takes effect on the next `up`. Connects as the superuser (PG* variables).
set -eu

: "${REGISTRY_DB_PASSWORD:?set REGISTRY_DB_PASSWORD in .env}"
: "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD in .env}"
: "${VISIBILITY_DB_PASSWORD:?set VISIBILITY_DB_PASSWORD in .env}"
REGISTRY_DB=${REGISTRY_DB:-alliance}
TEMPORAL_DB=${TEMPORAL_DB:-temporal}
VISIBILITY_DB=${VISIBILITY_DB:-temporal_visibility}

attempt=1
until pg_isready --quiet; do
    if [ "$attempt" -ge "${PG_WAIT_ATTEMPTS:-30}" ]; then
        echo "PostgreSQL at ${PGHOST:-localhost}:${PGPORT:-5432} did not answer" >&2
        exit 1
    fi
    attempt=$((attempt + 1))
    sleep 2
done

# role_and_database NAME PASSWORD: the role NAME owns the database NAME, and only it (and
# the superuser) may connect to it.
role_and_database() {
    psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --dbname postgres \
        --set name="$1" --set password="$2" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'name')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
ALTER ROLE :"name" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
ALTER DATABASE :"name" OWNER TO :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
    echo "role and database $1 ready"
}

role_and_database "$REGISTRY_DB" "$REGISTRY_DB_PASSWORD"
role_and_database "$TEMPORAL_DB" "$TEMPORAL_DB_PASSWORD"
role_and_database "$VISIBILITY_DB" "$VISIBILITY_DB_PASSWORD"

# Temporal's visibility schema indexes with btree_gin; create it as the superuser so the
# schema job needs no more than ownership of its database.
psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --dbname "$VISIBILITY_DB" \
    --command 'CREATE EXTENSION IF NOT EXISTS btree_gin'
