#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data directory (mounted into
# /docker-entrypoint-initdb.d; the official image and orderflow/postgres both run it as the
# postgres superuser over the Unix socket).
#
# One database and one role per service, named after the service (order, inventory, ...):
#   - the role owns its database (migrations create their tables and schemas there),
#   - it may not create databases or roles,
#   - nobody but its role (and the superuser) may connect to a service database, and no service
#     role may connect to the maintenance databases (postgres, template1).
# Passwords come from <SERVICE>_DB_PASSWORD (ORDER_DB_PASSWORD, ...); docker-compose.yml sets them.
set -euo pipefail

services=${ORDERFLOW_SERVICES:-order inventory payment shipping notification}
psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" --dbname postgres)

for svc in $services; do
  var="$(printf '%s' "$svc" | tr '[:lower:]-' '[:upper:]_')_DB_PASSWORD"
  password=${!var:-}
  if [ -z "$password" ]; then
    echo "initdb.d: $var is not set: cannot create the $svc role" >&2
    exit 1
  fi
  # psql variables (:"name" identifier, :'value' literal) quote everything: "order" is a keyword.
  "${psql[@]}" --set svc="$svc" --set password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN NOCREATEDB NOCREATEROLE', :'svc')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'svc') \gexec
ALTER ROLE :"svc" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'svc', :'svc')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'svc') \gexec
ALTER DATABASE :"svc" OWNER TO :"svc";
REVOKE ALL ON DATABASE :"svc" FROM PUBLIC;
GRANT ALL ON DATABASE :"svc" TO :"svc";
SQL
  echo "initdb.d: database and role $svc"
done

# No service role reaches the maintenance databases (the superuser always can). A service that
# probes `postgres` to create its database on first start gets "permission denied" and goes on.
"${psql[@]}" <<'SQL'
REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE template1 FROM PUBLIC;
SQL
