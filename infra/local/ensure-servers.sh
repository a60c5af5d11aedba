#!/usr/bin/env bash
# Makes sure NATS with JetStream (127.0.0.1:4222) and PostgreSQL (127.0.0.1:5432, trust auth)
# are running on a Debian machine, installing them from Debian's packages when missing.
# Used by .ci/run; needs root for the install and start steps.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 100); do port_open "$1" && return 0; sleep 0.2; done
  echo "port $1 did not open" >&2; return 1
}

apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "cannot install $*: no apt-get; install it yourself" >&2; exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! port_open 4222; then
  command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || apt_install nats-server
  NATS_BIN="$(command -v nats-server || echo /usr/sbin/nats-server)"
  mkdir -p /var/lib/nats-server
  echo "starting nats-server (JetStream) on 127.0.0.1:4222"
  start-stop-daemon --start --oknodo --background --exec "$NATS_BIN" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_port 4222
fi

if ! port_open 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
    ver="$(ls /etc/postgresql | sort -V | tail -1)"
    # Trust auth on loopback, as the test setup expects.
    sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(local\s+all\s+(postgres|all)\s+)\S+/\1trust/' \
      "/etc/postgresql/$ver/main/pg_hba.conf"
  fi
  echo "starting PostgreSQL on 127.0.0.1:5432"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  wait_port 5432
fi
echo "NATS and PostgreSQL are up"
