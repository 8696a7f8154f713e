#!/bin/sh
# Temporal's own databases, after upstream's compose/scripts/setup-postgres.sh
# (temporalio/samples-server): version tables, then every versioned schema step not yet
# applied. Both steps skip what is already there, so the job runs at every `up` and brings
# the schemas along when the server image is upgraded. The databases and roles come from
# the postgres-roles job; each schema is applied as the role that owns its database.
set -eu

: "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD in .env}"
: "${VISIBILITY_DB_PASSWORD:?set VISIBILITY_DB_PASSWORD in .env}"
host=postgres
port=5432
schemas=/etc/temporal/schema/postgresql/v12

# setup DATABASE ROLE PASSWORD SCHEMA_DIRECTORY
setup() {
    echo "schema of $1"
    SQL_PASSWORD="$3" temporal-sql-tool --plugin postgres12 --ep "$host" -p "$port" \
        -u "$2" --db "$1" setup-schema -v 0.0
    SQL_PASSWORD="$3" temporal-sql-tool --plugin postgres12 --ep "$host" -p "$port" \
        -u "$2" --db "$1" update-schema -d "$4"
}

setup temporal temporal "$TEMPORAL_DB_PASSWORD" "$schemas/temporal/versioned"
setup temporal_visibility temporal_visibility "$VISIBILITY_DB_PASSWORD" \
    "$schemas/visibility/versioned"
echo "Temporal schemas are current"
