# shellcheck shell=bash
# Helpers shared by infra/airgap/build-images.sh and tools/compose-test/run.sh. Source it.

airgap_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Runs a command as root (directly, or through sudo when there is one).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    airgap_log "needs root: $*"; return 1
  fi
}

# The Debian mirror this machine's apt already uses (first non-security URI), so that the images
# and the trixie downloads go where apt-get is known to work. AIRGAP_MIRROR overrides it.
debian_mirror() {
  if [ -n "${AIRGAP_MIRROR:-}" ]; then echo "${AIRGAP_MIRROR%/}"; return; fi
  local uri
  uri=$(_apt_uris | grep -v -- '-security' | grep -E '/debian/?$' | head -n1 || true)
  echo "${uri:-http://deb.debian.org/debian}" | sed 's:/*$::'
}

# The matching security mirror; AIRGAP_SECURITY_MIRROR overrides it.
debian_security_mirror() {
  if [ -n "${AIRGAP_SECURITY_MIRROR:-}" ]; then echo "${AIRGAP_SECURITY_MIRROR%/}"; return; fi
  local uri
  uri=$(_apt_uris | grep -E -- '-security/?$' | head -n1 || true)
  echo "${uri:-http://deb.debian.org/debian-security}" | sed 's:/*$::'
}

_apt_uris() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # deb [options] URI suite components
    sed -nE 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'tolower($1)=="types:" { deb = ($0 ~ /[[:space:]]deb([[:space:]]|$)/) }
         tolower($1)=="uris:" && deb { for (i = 2; i <= NF; i++) print $i }' "$f"
  done
}

# apt-get with a private sources list and state for Debian trixie: the machine's own apt
# configuration, lists and caches stay untouched.
TRIXIE_APT_DIR="${TRIXIE_APT_DIR:-${TMPDIR:-/tmp}/orderflow-trixie-apt}"
trixie_apt() {
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  mkdir -p "$TRIXIE_APT_DIR/lists/partial" "$TRIXIE_APT_DIR/cache/archives/partial"
  if [ ! -f "$TRIXIE_APT_DIR/sources.list" ]; then
    echo "deb [signed-by=$keyring] $(debian_mirror) trixie main" >"$TRIXIE_APT_DIR/sources.list"
  fi
  apt-get -q \
    -o Dir::Etc::sourcelist="$TRIXIE_APT_DIR/sources.list" \
    -o Dir::Etc::sourceparts=- \
    -o Dir::State::Lists="$TRIXIE_APT_DIR/lists" \
    -o Dir::Cache="$TRIXIE_APT_DIR/cache" \
    -o APT::Sandbox::User=root \
    "$@"
}

# trixie_download <package> <dest dir>: the package's .deb from trixie into dest (kept: a rerun
# that finds it there does not touch the network). Prints the .deb's path.
trixie_download() {
  local pkg=$1 dest=$2 deb
  mkdir -p "$dest"
  deb=$(ls -1 "$dest/${pkg}"_*.deb 2>/dev/null | tail -n1 || true)
  if [ -z "$deb" ]; then
    # Package lists younger than a day are reused.
    if [ -z "$(find "$TRIXIE_APT_DIR/.updated" -mmin -1440 2>/dev/null)" ]; then
      trixie_apt update >&2 && touch "$TRIXIE_APT_DIR/.updated"
    fi
    (cd "$dest" && trixie_apt download "$pkg" >&2)
    deb=$(ls -1 "$dest/${pkg}"_*.deb | tail -n1)
  fi
  echo "$deb"
}
