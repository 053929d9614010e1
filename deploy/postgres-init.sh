#!/usr/bin/env bash
# First start of the postgres container: the application's role, which owns nothing and is neither
# superuser nor BYPASSRLS. The tables belong to POSTGRES_USER, which runs the migrations.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE iecq_app LOGIN PASSWORD '${IECQ_APP_DB_PASSWORD}' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
GRANT CONNECT ON DATABASE "$POSTGRES_DB" TO iecq_app;
SQL
