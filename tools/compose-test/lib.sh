# shellcheck shell=bash
# Docker engine, Compose v2 and base images for the compose stack, on a machine that may have none
# of them and no registry. Sourced by run.sh (npm run test:compose) and up.sh (npm run docker:up);
# they define log, timing and compose before calling these, and STARTED_DOCKERD_PID / ENV_ARGS /
# IMAGES_MODE are set here for them.
# shellcheck source=../../infra/airgap/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../infra/airgap/lib.sh"
STARTED_DOCKERD_PID=""
ENV_ARGS=()
IMAGES_MODE=""
LOG_DIR=${LOG_DIR:-${TMPDIR:-/tmp}/orderflow-compose}
mkdir -p "$LOG_DIR"

# --- 1. Docker engine -----------------------------------------------------------------------
ensure_docker() {
  docker info >/dev/null 2>&1 && return 0
  local t=$SECONDS
  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    log "no Docker engine: apt-get install docker.io"
    as_root apt-get update -q >"$LOG_DIR/apt.log" 2>&1
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends docker.io >>"$LOG_DIR/apt.log" 2>&1 || {
      tail -n 20 "$LOG_DIR/apt.log"
      return 1
    }
    timing "install docker.io (apt)" $((SECONDS - t))
    t=$SECONDS
  fi
  log "starting dockerd in the background (log: $LOG_DIR/dockerd.log)"
  as_root setsid dockerd >"$LOG_DIR/dockerd.log" 2>&1 </dev/null &
  local launcher=$!
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    tail -n 20 "$LOG_DIR/dockerd.log"
    return 1
  fi
  STARTED_DOCKERD_PID=$(cat /var/run/docker.pid 2>/dev/null || echo "$launcher")
  timing "start dockerd" $((SECONDS - t))
}

# --- 2. Compose v2 --------------------------------------------------------------------------
ensure_compose() {
  docker compose version >/dev/null 2>&1 && return 0
  local t=$SECONDS deb tmp plugins=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
  log "no docker compose: the docker-compose package of Debian trixie"
  deb=$(trixie_download docker-compose "$LOG_DIR/debs") || return 1
  tmp=$(mktemp -d)
  dpkg -x "$deb" "$tmp"
  mkdir -p "$plugins"
  install -m 0755 "$tmp/usr/libexec/docker/cli-plugins/docker-compose" "$plugins/docker-compose"
  rm -rf "$tmp"
  docker compose version >/dev/null 2>&1 || return 1
  timing "install compose plugin" $((SECONDS - t))
}

# --- 3. base images -------------------------------------------------------------------------
choose_images() {
  local mode=${COMPOSE_TEST_IMAGES:-auto} t=$SECONDS
  if [ "$mode" = auto ]; then
    if docker image inspect node:20-bookworm-slim nats:2.10-alpine postgres:16-bookworm >/dev/null 2>&1; then
      mode=official
    elif timeout 20 docker pull -q node:20-bookworm-slim >/dev/null 2>&1; then
      mode=official
    else
      log "no registry answers (docker pull node:20-bookworm-slim): offline base images"
      mode=airgap
    fi
  fi
  if [ "$mode" = airgap ]; then
    t=$SECONDS
    bash infra/airgap/build-images.sh || return 1
    timing "base images (build-images.sh)" $((SECONDS - t))
    ENV_ARGS=(--env-file infra/airgap/airgap.env)
  else
    timeout 600 compose pull -q nats postgres || return 1
    timing "pull base images" $((SECONDS - t))
  fi
  IMAGES_MODE=$mode
}

# The build's npm must trust the CAs this machine adds to the public ones (a TLS-intercepting
# proxy in front of the registry): the certificates of /usr/local/share/ca-certificates and
# NODE_EXTRA_CA_CERTS (when it is not a whole system bundle).
collect_extra_cas() {
  [ -n "${EXTRA_CA_CERTS:-}" ] && return 0
  local f pem=""
  for f in /usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt "${NODE_EXTRA_CA_CERTS:-}"; do
    [ -n "$f" ] && [ -f "$f" ] && [ "$(wc -c <"$f")" -lt 65536 ] || continue
    grep -q 'BEGIN CERTIFICATE' "$f" && pem+="$(cat "$f")"$'\n'
  done
  if [ -n "$pem" ]; then
    export EXTRA_CA_CERTS="$pem"
    log "the image builds trust $(grep -c 'BEGIN CERTIFICATE' <<<"$pem") extra CA certificate(s) of this machine"
  fi
}

# Host ports: 3000-3004 unless taken (e.g. by `npm start` on this machine), then another range.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
choose_ports() {
  local names=(ORDER INVENTORY PAYMENT SHIPPING NOTIFICATION) base i busy
  if [ -n "${ORDER_PORT:-}" ]; then base=$ORDER_PORT; else
    for base in 3000 13000 23000 33000 43000; do
      busy=0
      for i in 0 1 2 3 4; do port_busy $((base + i)) && busy=1; done
      [ "$busy" = 0 ] && break
    done
    [ "$base" = 3000 ] || log "ports 3000-3004 are taken here: using $base-$((base + 4))"
  fi
  for i in 0 1 2 3 4; do
    local var="${names[$i]}_PORT"
    export "$var"="${!var:-$((base + i))}"
  done
  if [ -z "${NATS_PORT:-}" ]; then
    for NATS_PORT in 4223 14223 24223 34223; do port_busy "$NATS_PORT" || break; done
    export NATS_PORT
  fi
}

