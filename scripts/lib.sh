# shellcheck shell=bash
# Helpers shared by scripts/run, scripts/test, .ci/run and bench/. Source it; don't execute it.
#
# Every ensure_* function is idempotent: it checks first (command -v, dpkg-query, a stamp file) and only
# installs what is missing, so a second run costs a few milliseconds.

MEDIASAUR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MEDIASAUR_CACHE="${MEDIASAUR_CACHE:-$HOME/.cache/mediasaur}"
# Build output lives outside the clone so fresh clones (and CI runs on the same machine) reuse it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$MEDIASAUR_CACHE/target}"
export MEDIASAUR_ROOT MEDIASAUR_CACHE

# Pinned versions of tools the tests install for themselves.
TUSPY_VERSION="1.1.0"

# ---------------------------------------------------------------------------------------------------
# Output

log() { printf '%s\n' "$*" >&2; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

_SECTION_NAME=""
_SECTION_START=0
# Exported so scripts/test, started by .ci/run, keeps counting from the start of the CI run.
export MEDIASAUR_RUN_START="${MEDIASAUR_RUN_START:-$EPOCHSECONDS}"

# section NAME — prints a header; also reports how long the previous section took.
section() {
	section_end
	_SECTION_NAME="$1"
	_SECTION_START=$EPOCHSECONDS
	printf '\n==> %s  [t+%ss]\n' "$_SECTION_NAME" "$((EPOCHSECONDS - MEDIASAUR_RUN_START))" >&2
}

# section_final NAME — like section, for the last step of a script: no closing line will follow it
# (scripts/test ends with nextest's summary, which must stay the last line of the log).
section_final() {
	section "$1"
	_SECTION_NAME=""
}

# section_end — closes the current section (if any) with its duration.
section_end() {
	if [[ -n "$_SECTION_NAME" ]]; then
		printf '<== %s: %ss\n' "$_SECTION_NAME" "$((EPOCHSECONDS - _SECTION_START))" >&2
		_SECTION_NAME=""
	fi
}

# ---------------------------------------------------------------------------------------------------
# Privileges and Debian packages

# as_root CMD... — runs CMD as root: directly if we are root, else through sudo.
as_root() {
	if [[ $EUID -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

_pkg_installed() {
	[[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

_APT_UPDATED=0
_apt_update_once() {
	if [[ $_APT_UPDATED -eq 0 ]]; then
		log "apt-get update"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		_APT_UPDATED=1
	fi
}

# ensure_apt PKG... — installs the Debian packages that are not installed yet.
ensure_apt() {
	command -v dpkg-query >/dev/null 2>&1 || die "not a Debian system (no dpkg-query); install by hand: $*"
	local missing=() pkg
	for pkg in "$@"; do
		_pkg_installed "$pkg" || missing+=("$pkg")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	_apt_update_once
	log "apt-get install ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# ensure_build_deps — what compiling the workspace needs from the OS (a C toolchain for the bundled
# SQLite, pkg-config, OpenSSL headers for -sys crates) plus curl for scripts/run and bench/.
# WebKit/GTK for the desktop app are NOT here yet; see docs in README.md.
ensure_build_deps() {
	ensure_apt build-essential pkg-config libssl-dev curl ca-certificates git
}

# ---------------------------------------------------------------------------------------------------
# Toolchains

# ensure_rust — cargo/rustc come preinstalled via rustup; rustfmt and clippy must be present too.
ensure_rust() {
	command -v cargo >/dev/null 2>&1 ||
		die "cargo not found: install Rust via rustup (https://rustup.rs) and make sure ~/.cargo/bin is on PATH"
	command -v rustc >/dev/null 2>&1 || die "rustc not found (expected next to cargo)"
	local comp
	for comp in rustfmt clippy; do
		if ! cargo "${comp/rustfmt/fmt}" --version >/dev/null 2>&1; then
			if command -v rustup >/dev/null 2>&1; then
				log "rustup component add $comp"
				rustup component add "$comp" || die "could not add the $comp component"
			else
				die "cargo ${comp/rustfmt/fmt} is missing and rustup is not available to add it"
			fi
		fi
	done
}

# ensure_nextest — cargo-nextest is preinstalled on our machines; build it from crates.io if not.
ensure_nextest() {
	if ! cargo nextest --version >/dev/null 2>&1; then
		log "cargo install cargo-nextest (takes a few minutes)"
		cargo install cargo-nextest --locked
	fi
}

# ensure_node — Node 20+ and npm (preinstalled; we only check).
ensure_node() {
	command -v node >/dev/null 2>&1 || die "node not found: install Node.js 20+ (with npm)"
	command -v npm >/dev/null 2>&1 || die "npm not found: install npm alongside Node.js"
	local major
	major="$(node -p 'process.versions.node.split(".")[0]')"
	[[ "$major" -ge 18 ]] || die "Node.js $major is too old: need 18+ (20 recommended)"
}

# ensure_python — python3 with the venv module (preinstalled; we only check).
ensure_python() {
	command -v python3 >/dev/null 2>&1 || die "python3 not found: install Python 3.9+ with pip and venv"
	python3 -c 'import venv, ensurepip' 2>/dev/null ||
		die "python3 has no working venv/ensurepip module (on Debian's python: apt-get install python3-venv)"
}

# ---------------------------------------------------------------------------------------------------
# Test peers

# ensure_interop_node — `npm ci` in tests/interop (tus-js-client), only when it has a lockfile and the
# installed tree doesn't match it yet.
ensure_interop_node() {
	local dir="$MEDIASAUR_ROOT/tests/interop"
	if [[ ! -f "$dir/package-lock.json" ]]; then
		log "tests/interop/package-lock.json not found: skipping npm ci"
		return 0
	fi
	ensure_node
	local stamp="$dir/node_modules/.mediasaur-lock.sha256" want
	want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
	if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
		return 0
	fi
	log "npm ci in tests/interop"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	printf '%s\n' "$want" >"$stamp"
}

# ensure_tuspy — a venv at $MEDIASAUR_CACHE/venv with tuspy pinned; exports MEDIASAUR_PYTHON.
ensure_tuspy() {
	local venv="$MEDIASAUR_CACHE/venv"
	# A venv whose interpreter vanished (e.g. the base Python was upgraded) is rebuilt.
	if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
		ensure_python
		log "creating venv $venv"
		rm -rf "$venv"
		mkdir -p "$MEDIASAUR_CACHE"
		python3 -m venv "$venv"
	fi
	local have
	have="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("tuspy"))' 2>/dev/null || true)"
	if [[ "$have" != "$TUSPY_VERSION" ]]; then
		log "pip install tuspy==$TUSPY_VERSION"
		PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install -q "tuspy==$TUSPY_VERSION"
	fi
	export MEDIASAUR_PYTHON="$venv/bin/python"
}

# ---------------------------------------------------------------------------------------------------
# Desktop test environment — HOOK, intentionally empty for now.
#
# Later issues (desktop app, OS keyring) will need, for the tests:
#   - packages: xvfb xauth dbus dbus-x11 dbus-user-session gnome-keyring libsecret-tools keyutils
#   - a session: dbus-run-session -- keyctl session - bash -c 'eval "$(printf pass |
#       gnome-keyring-daemon --unlock --components=secrets)"; export GNOME_KEYRING_CONTROL; ...'
#   - Xvfb (xvfb-run -a -s "-screen 0 1280x800x24") for webview tests.
# Fill in ensure_desktop_test_deps and with_test_session then; scripts/test already calls both.

# ensure_desktop_test_deps — HOOK: install Xvfb / gnome-keyring / dbus here once tests need them.
ensure_desktop_test_deps() {
	:
}

# with_test_session CMD... — HOOK: will wrap CMD in dbus-run-session + unlocked gnome-keyring + Xvfb.
# Today it just runs CMD.
with_test_session() {
	"$@"
}

# ---------------------------------------------------------------------------------------------------
# The server

# build_server [--release] — builds mediasaur-server; sets SERVER_BIN to the binary.
build_server() {
	local profile=debug
	[[ "${1:-}" == "--release" ]] && profile=release
	log "cargo build -p mediasaur-server ($profile)"
	(cd "$MEDIASAUR_ROOT" && cargo build -p mediasaur-server ${1:+"$1"})
	SERVER_BIN="$CARGO_TARGET_DIR/$profile/mediasaur-server"
	[[ -x "$SERVER_BIN" ]] || die "build finished but $SERVER_BIN is missing"
}

# wait_for_health URL PID [TIMEOUT_S] — polls URL/healthz until 200; fails if PID exits first.
wait_for_health() {
	local base="$1" pid="$2" timeout="${3:-30}" start=$SECONDS
	until curl -fsS -o /dev/null --max-time 2 "$base/healthz" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || die "the server (pid $pid) exited before $base/healthz answered"
		((SECONDS - start < timeout)) || die "$base/healthz did not answer within ${timeout}s"
		sleep 0.2
	done
}

# stop_pid PID [NAME] — SIGINT, then SIGTERM after 10 s, then SIGKILL after 5 s more; waits for it.
stop_pid() {
	local pid="$1" name="${2:-process}" i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -INT "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		[[ $i -eq 100 ]] && { log "$name did not stop on SIGINT; sending SIGTERM"; kill -TERM "$pid" 2>/dev/null || true; }
		sleep 0.1
	done
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		[[ $i -eq 50 ]] && { log "$name did not stop on SIGTERM; sending SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; }
		sleep 0.1
	done
	wait "$pid" 2>/dev/null || true
}
