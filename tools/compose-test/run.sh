#!/usr/bin/env bash
# npm run test:compose: the docker-compose.yml stack, end to end, on this machine.
#
#  1. a Docker engine: uses the one that answers, else installs Debian's docker.io (apt-get) and
#     starts dockerd in the background (stopped again at the end);
#  2. Compose v2: `docker compose`, else the docker-compose package of Debian trixie (apt-get
#     download with a private sources list, unpacked into ~/.docker/cli-plugins);
#  3. base images: the official ones when a registry answers (timeout 20 docker pull), else
#     infra/airgap/build-images.sh (debootstrap + Debian packages + Node from npm);
#  4. docker compose build, then up -d --wait; one order reaches CONFIRMED, one with
#     tok_declined reaches CANCELLED / PAYMENT_DECLINED, and the customer cancels the first
#     (refunded, shipment cancelled);
#  5. always: docker compose down -v.
#
# Prints PASS / FAIL lines, the image sizes and the timings; exits 1 when anything failed.
# Knobs: COMPOSE_TEST_IMAGES=auto|official|airgap (default auto), COMPOSE_TEST_PROJECT (compose
# project, default orderflow-compose-test: a stack of your own named orderflow stays untouched),
# COMPOSE_TEST_KEEP=1 (leave the stack running), COMPOSE_TEST_TIMEOUT (seconds for an order to
# settle, default 60), ORDER_PORT … NOTIFICATION_PORT (default 3000 … 3004, or another free
# range when those are taken).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
LOG_DIR=${TMPDIR:-/tmp}/orderflow-compose-test
# shellcheck source=lib.sh
source tools/compose-test/lib.sh

T0=$SECONDS
FAILED=0
TIMINGS=()
export COMPOSE_PROJECT_NAME=${COMPOSE_TEST_PROJECT:-orderflow-compose-test}
SETTLE_TIMEOUT=${COMPOSE_TEST_TIMEOUT:-60}

log() { airgap_log "$*"; }
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILED=1; }
timing() { TIMINGS+=("$(printf '%-34s %4d s' "$1" "$2")"); log "$1: $2 s"; }
compose() { docker compose "${ENV_ARGS[@]}" "$@"; }

# --- teardown, whatever happens ------------------------------------------------------------
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if docker info >/dev/null 2>&1 && [ -f "$ROOT/docker-compose.yml" ]; then
    if [ "$FAILED" = 1 ] && [ -n "$(compose ps -aq 2>/dev/null)" ]; then
      echo "---- docker compose ps / logs (last 60 lines per service) ----"
      compose ps -a 2>&1 || true
      compose logs --no-color --tail=60 2>&1 | cut -c1-400 || true
    fi
    if [ "${COMPOSE_TEST_KEEP:-0}" = 1 ]; then
      log "COMPOSE_TEST_KEEP=1: leaving the stack up (docker compose -p $COMPOSE_PROJECT_NAME ${ENV_ARGS[*]} down -v)"
    else
      log "docker compose down -v"
      compose down -v --remove-orphans --timeout 20 >"$LOG_DIR/down.log" 2>&1 || cat "$LOG_DIR/down.log"
    fi
  fi
  if [ -n "$STARTED_DOCKERD_PID" ] && [ "${COMPOSE_TEST_KEEP:-0}" != 1 ]; then
    log "stopping the dockerd this run started (pid $STARTED_DOCKERD_PID)"
    as_root kill "$STARTED_DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null || break; sleep 1; done
  fi
  echo
  echo "---- timings ----"
  printf '%s\n' "${TIMINGS[@]}"
  printf '%-34s %4d s\n' "total" "$((SECONDS - T0))"
  if [ "$FAILED" = 0 ] && [ "$rc" = 0 ]; then echo "compose test: PASS"; else echo "compose test: FAIL"; fi
  [ "$FAILED" = 0 ] && exit "$rc" || exit 1
}
trap cleanup EXIT
trap 'fail "interrupted"; exit 1' INT TERM

# --- the flow ------------------------------------------------------------------------------
json() { node -e 'const v=JSON.parse(require("fs").readFileSync(0,"utf8"));const x=process.argv[1].split(".").reduce((o,k)=>o?.[k],v);process.stdout.write(x===undefined?"":String(x))' "$1"; }

order_body() { # order_body <paymentToken>
  printf '{"customerId":"c-1","customerEmail":"ada@example.com","items":[{"sku":"KEYBOARD-01","quantity":1}],"shippingAddress":{"name":"Ada","line1":"1 Main St","city":"London","postalCode":"N1","country":"GB"},"paymentToken":"%s"}' "$1"
}

# place_order <label> <paymentToken> <expected status> [expected cancellationReason]
place_order() {
  local label=$1 token=$2 want=$3 want_reason=${4:-} base="http://127.0.0.1:$ORDER_PORT" out code id body status reason t=$SECONDS
  out=$(curl -sS -m 10 -w '\n%{http_code}' -X POST "$base/orders" -H 'content-type: application/json' \
    -H "X-Correlation-Id: compose-test-$label-$$" -d "$(order_body "$token")" 2>&1)
  code=${out##*$'\n'}
  body=${out%$'\n'*}
  id=$(json orderId <<<"$body" 2>/dev/null)
  if [ "$code" != 202 ] || [ -z "$id" ]; then
    fail "$label: POST /orders answered $code: $body"
    return
  fi
  pass "$label: POST /orders -> 202, order $id PENDING"
  status=PENDING
  while [ $((SECONDS - t)) -lt "$SETTLE_TIMEOUT" ]; do
    body=$(curl -sS -m 5 "$base/orders/$id" 2>/dev/null) || body=""
    status=$(json status <<<"$body" 2>/dev/null)
    [ -n "$status" ] && [ "$status" != PENDING ] && break
    sleep 0.5
  done
  reason=$(json cancellationReason <<<"$body" 2>/dev/null)
  if [ "$status" = "$want" ] && [ "$reason" = "$want_reason" ]; then
    pass "$label: GET /orders/$id -> $status${reason:+ $reason} after $((SECONDS - t)) s"
  else
    fail "$label: GET /orders/$id -> ${status:-?}${reason:+ $reason}, wanted $want${want_reason:+ $want_reason} (within $SETTLE_TIMEOUT s): $body"
  fi
  LAST_ORDER_ID=$id
}

# cancel_order <orderId>: POST /orders/:id/cancel -> 202, CANCELLED_BY_CUSTOMER, then the
# compensations seen in the other services' read models.
cancel_order() {
  local id=$1 base="http://127.0.0.1:$ORDER_PORT" code body status reason payments shipments t=$SECONDS
  code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -X POST "$base/orders/$id/cancel")
  if [ "$code" != 202 ]; then
    fail "cancel: POST /orders/$id/cancel answered $code"
    return
  fi
  pass "cancel: POST /orders/$id/cancel -> 202"
  while [ $((SECONDS - t)) -lt "$SETTLE_TIMEOUT" ]; do
    body=$(curl -sS -m 5 "$base/orders/$id" 2>/dev/null) || body=""
    payments=$(curl -sS -m 5 "http://127.0.0.1:$PAYMENT_PORT/payments?orderId=$id" 2>/dev/null) || payments=""
    shipments=$(curl -sS -m 5 "http://127.0.0.1:$SHIPPING_PORT/shipments?orderId=$id" 2>/dev/null) || shipments=""
    status=$(json status <<<"$body" 2>/dev/null)
    reason=$(json cancellationReason <<<"$body" 2>/dev/null)
    if [ "$status" = CANCELLED ] && grep -q '"REFUNDED"' <<<"$payments" && grep -q '"CANCELLED"' <<<"$shipments"; then
      pass "cancel: order $id CANCELLED $reason, payment REFUNDED, shipment CANCELLED after $((SECONDS - t)) s"
      return
    fi
    sleep 0.5
  done
  fail "cancel: order $id -> ${status:-?} ${reason:-}; payments $payments; shipments $shipments (within $SETTLE_TIMEOUT s)"
}

main() {
  ensure_docker || { fail "no Docker engine"; exit 1; }
  pass "docker engine $(docker version -f '{{.Server.Version}}' 2>/dev/null)"
  ensure_compose || { fail "no docker compose"; exit 1; }
  pass "docker compose $(docker compose version --short 2>/dev/null)"
  choose_images || { fail "base images"; exit 1; }
  pass "base images: $IMAGES_MODE"
  collect_extra_cas
  choose_ports
  compose config -q || { fail "docker compose config"; exit 1; }
  # A stack left over by an interrupted run of this script.
  compose down -v --remove-orphans >/dev/null 2>&1 || true

  local t=$SECONDS
  log "docker compose build (log: $LOG_DIR/build.log)"
  if timeout 1200 docker compose "${ENV_ARGS[@]}" build >"$LOG_DIR/build.log" 2>&1; then
    timing "docker compose build (5 services)" $((SECONDS - t))
    pass "docker compose build"
  else
    tail -n 40 "$LOG_DIR/build.log"
    fail "docker compose build (log: $LOG_DIR/build.log)"
    exit 1
  fi

  t=$SECONDS
  log "docker compose up -d --wait"
  if timeout 300 docker compose "${ENV_ARGS[@]}" up -d --wait >"$LOG_DIR/up.log" 2>&1; then
    timing "compose up -> all healthy" $((SECONDS - t))
    pass "docker compose up --wait: nats, postgres and the five services healthy in $((SECONDS - t)) s"
  else
    tail -n 20 "$LOG_DIR/up.log"
    fail "docker compose up --wait (log: $LOG_DIR/up.log)"
    exit 1
  fi

  local svc var port
  for svc in order inventory payment shipping notification; do
    var="$(tr '[:lower:]' '[:upper:]' <<<"$svc")_PORT"
    port=${!var}
    if curl -fsS -m 5 -o /dev/null "http://127.0.0.1:$port/health/ready"; then
      pass "$svc: GET :$port/health/ready -> 200"
    else
      fail "$svc: GET :$port/health/ready"
    fi
  done

  t=$SECONDS
  place_order confirmed tok_visa CONFIRMED
  local confirmed_id=${LAST_ORDER_ID:-}
  place_order declined tok_declined CANCELLED PAYMENT_DECLINED
  timing "two orders settled" $((SECONDS - t))
  if [ -n "$confirmed_id" ]; then
    local sent
    sent=$(curl -sS -m 5 "http://127.0.0.1:$NOTIFICATION_PORT/notifications?orderId=$confirmed_id" 2>/dev/null)
    if grep -q '"order.confirmed"' <<<"$sent"; then
      pass "notification: order.confirmed sent to ada@example.com"
    else
      fail "notification: GET /notifications?orderId=$confirmed_id -> $sent"
    fi
  fi

  # The customer cancels the confirmed order: refund, release and shipment cancelled.
  if [ -n "$confirmed_id" ]; then
    cancel_order "$confirmed_id"
  fi

  echo "---- images ----"
  docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' |
    grep -E '^(orderflow/|node:|nats:|postgres:)' | sort | awk '{ printf "%-32s %s\n", $1, $2 }'
}

main
