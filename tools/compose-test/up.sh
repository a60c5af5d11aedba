#!/usr/bin/env bash
# npm run docker:up: the docker-compose.yml stack, left running, on a machine that may have no
# Docker engine, no Compose v2 and no registry (as tools/compose-test/run.sh finds or makes them):
#
#   1. a Docker engine: the one that answers, else Debian's docker.io, and dockerd started in the
#      background (it keeps running: stop it with `kill $(cat /var/run/docker.pid)`);
#   2. Compose v2: `docker compose`, else the plugin from Debian trixie's docker-compose package;
#   3. base images: the official ones when a registry answers, else infra/airgap/build-images.sh;
#   4. docker compose up -d --build --wait, then the URLs and the command that stops it.
#
# Where `docker compose up` works already, this is the same as `docker compose up -d --build --wait`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
LOG_DIR=${TMPDIR:-/tmp}/orderflow-compose
# shellcheck source=lib.sh
source tools/compose-test/lib.sh

log() { airgap_log "$*"; }
timing() { log "$1: $2 s"; }
compose() { docker compose "${ENV_ARGS[@]}" "$@"; }

ensure_docker || { log "no Docker engine (see $LOG_DIR)"; exit 1; }
ensure_compose || { log "no docker compose"; exit 1; }
choose_images || { log "base images failed"; exit 1; }
collect_extra_cas
t=$SECONDS
log "docker compose ${ENV_ARGS[*]} up -d --build --wait (build log: $LOG_DIR/up.log)"
if ! compose up -d --build --wait >"$LOG_DIR/up.log" 2>&1; then
  tail -n 40 "$LOG_DIR/up.log" >&2
  compose ps -a >&2 || true
  exit 1
fi
compose ps --format 'table {{.Service}}\t{{.Status}}\t{{.Ports}}'
cat <<MSG

  Orderflow is up in Docker ($((SECONDS - t)) s; base images: $IMAGES_MODE)
  Order API   http://localhost:${ORDER_PORT:-3000}/orders      API docs  http://localhost:${ORDER_PORT:-3000}/docs
  Logs        docker compose ${ENV_ARGS[*]} logs -f
  Stop        docker compose ${ENV_ARGS[*]} down        (add -v to drop the NATS and Postgres volumes)

MSG
