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
TAURI_CLI_VERSION="2.12.5"

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
# SQLite, pkg-config, OpenSSL headers for -sys crates), WebKitGTK, GTK and the tray library for the
# desktop app (src-tauri), plus curl for scripts/run and bench/. Bookworm names; about 50 s once.
ensure_build_deps() {
	ensure_apt build-essential pkg-config libssl-dev libdbus-1-dev curl ca-certificates git file \
		libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev \
		libayatana-appindicator3-dev libxdo-dev
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

# ensure_ui_deps — `npm ci` in ui/ (Svelte, Vite, Vitest, the Tauri CLI) when its lockfile changed.
ensure_ui_deps() {
	ensure_node
	local dir="$MEDIASAUR_ROOT/ui" want
	local stamp="$dir/node_modules/.mediasaur-lock.sha256"
	want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
	if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
		return 0
	fi
	log "npm ci in ui"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	printf '%s\n' "$want" >"$stamp"
}

# build_ui — builds the web UI into ui/dist, which the desktop app embeds when it is compiled (so
# this must run before any cargo build of the workspace).
build_ui() {
	ensure_ui_deps
	log "vite build (ui/dist)"
	(cd "$MEDIASAUR_ROOT/ui" && npm run --silent build >/dev/null)
}

# ensure_tauri_cli — the Tauri CLI (the bundler scripts/package uses) from npm, pinned, in the cache.
# It is not in ui/package.json: npm records only this machine's platform binary of it in a lockfile,
# which `npm ci` then refuses. Sets TAURI_CLI to the executable.
ensure_tauri_cli() {
	ensure_node
	local dir="$MEDIASAUR_CACHE/tauri-cli"
	TAURI_CLI="$dir/node_modules/.bin/tauri"
	if [[ "$("$TAURI_CLI" --version 2>/dev/null)" != "tauri-cli $TAURI_CLI_VERSION" ]]; then
		log "npm install @tauri-apps/cli@$TAURI_CLI_VERSION (into $dir)"
		mkdir -p "$dir"
		npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error \
			"@tauri-apps/cli@$TAURI_CLI_VERSION"
	fi
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
# Desktop test environment: a private D-Bus session with an unlocked gnome-keyring (Secret Service)
#
# Tests that use the OS keyring run inside with_test_session; a test that finds MEDIASAUR_TEST_KEYRING
# unset should fail with "run the tests through scripts/test (needs a Secret Service session)".
# Xvfb for the desktop app's webview tests is installed here already but not started yet.

# ensure_desktop_test_deps — the packages with_test_session needs (dbus-run-session, keyctl,
# gnome-keyring-daemon, secret-tool), plus Xvfb and friends for the desktop app's window.
ensure_desktop_test_deps() {
	ensure_apt gnome-keyring libsecret-tools dbus dbus-user-session keyutils \
		xvfb xauth dbus-x11 at-spi2-core
}

# ensure_app_test_deps — what the desktop app's WebDriver tests (src-tauri/tests/app) need: Xvfb for
# the window, WebKitWebDriver (webkit2gtk-driver), xclip to read the clipboard, ImageMagick, and
# tauri-driver (the WebDriver proxy that starts the app; built from crates.io, about 80 s, once).
ensure_app_test_deps() {
	ensure_apt webkit2gtk-driver xvfb xauth xclip imagemagick
	# tauri-driver 2.1 has no --version (it rejects unknown arguments); --help succeeds once installed.
	if ! tauri-driver --help >/dev/null 2>&1; then
		ensure_rust
		log "cargo install tauri-driver (takes a minute or two)"
		cargo install tauri-driver --version "^2" --locked
	fi
}

# Runs inside the private session (as `bash -c`, the command in "$@"): starts gnome-keyring-daemon
# with the password "pass" (--unlock creates and unlocks the `login` collection in the empty keyring
# dir), has it serve the Secret Service on the session bus (--start), proves that a secret can be stored
# and read back, notes the daemon's pid for with_test_session's clean-up, then execs the command.
# shellcheck disable=SC2016 # expanded by the inner bash, not here
_TEST_SESSION_INNER='
set -euo pipefail
fail() {
	printf "error: test session: %s\n" "$*" >&2
	exit 1
}
eval "$(printf pass | gnome-keyring-daemon --unlock --components=secrets)"
start_env="$(gnome-keyring-daemon --start --components=secrets 2>"$XDG_RUNTIME_DIR/start.err")" ||
	fail "gnome-keyring-daemon --start failed: $(cat "$XDG_RUNTIME_DIR/start.err")"
eval "$start_env"
export GNOME_KEYRING_CONTROL="${GNOME_KEYRING_CONTROL:-$XDG_RUNTIME_DIR/keyring}"
dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
	org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets |
	awk "{ print \$2 }" >"$XDG_RUNTIME_DIR/keyring-daemon.pid" ||
	fail "gnome-keyring-daemon does not serve org.freedesktop.secrets on the session bus"
probe="$(printf value | secret-tool store --label="mediasaur self-test" \
	service mediasaur-selftest username probe 2>&1 &&
	secret-tool lookup service mediasaur-selftest username probe 2>&1)" || true
[[ "$probe" == value ]] ||
	fail "the Secret Service does not store secrets (secret-tool store/lookup gave: ${probe:-nothing})"
secret-tool clear service mediasaur-selftest username probe
export MEDIASAUR_TEST_KEYRING=1
exec "$@"
'

# _process_alive PID — true while PID exists and is not a zombie.
_process_alive() {
	local stat
	stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
	stat="${stat##*) }"
	[[ "${stat%% *}" != Z ]]
}

# _end_test_session DIR — waits (up to 5 s, then SIGTERM) for the session's gnome-keyring-daemon to
# exit, which it does once the session bus is gone, then removes DIR.
_end_test_session() {
	local dir="$1" pid="" i
	[[ -s "$dir/runtime/keyring-daemon.pid" ]] && pid="$(cat "$dir/runtime/keyring-daemon.pid")"
	if [[ -n "$pid" ]]; then
		for i in $(seq 1 50); do
			_process_alive "$pid" || break
			if [[ $i -eq 50 && "$(cat "/proc/$pid/comm" 2>/dev/null)" == gnome-keyring-d* ]]; then
				log "gnome-keyring-daemon (pid $pid) outlived its session; sending SIGTERM"
				kill -TERM "$pid" 2>/dev/null || true
			fi
			sleep 0.1
		done
	fi
	rm -rf "$dir"
}

# with_test_session CMD... — runs CMD (arguments kept as they are) in a private D-Bus session bus and a
# fresh session keyring (keyctl session), with an unlocked gnome-keyring serving the Secret Service, and
# MEDIASAUR_TEST_KEYRING=1 exported; returns CMD's exit status. The keyring's files and the daemon's
# sockets live in a temp dir (XDG_DATA_HOME, XDG_RUNTIME_DIR) that is removed afterwards, so every run
# starts from an empty keyring and neither reaches nor changes the user's own keyring. HOME is left
# alone, so cargo and rustup are found as usual.
with_test_session() (
	[[ $# -gt 0 ]] || die "with_test_session: no command given"
	for tool in dbus-run-session dbus-send keyctl gnome-keyring-daemon secret-tool; do
		command -v "$tool" >/dev/null 2>&1 ||
			die "$tool not found: run ensure_desktop_test_deps (scripts/test does)"
	done
	# Not `local`: the EXIT trap may run after the function's scope is gone. This is a subshell anyway.
	scratch="$(mktemp -d "${TMPDIR:-/tmp}/mediasaur-session.XXXXXX")"
	trap '_end_test_session "$scratch"' EXIT
	# keyrings/ exists so gnome-keyring never falls back to a legacy ~/.gnome2/keyrings.
	mkdir -m 700 "$scratch/data" "$scratch/data/keyrings" "$scratch/runtime"
	# Forget any outer session, so the daemon can't find and unlock the user's own gnome-keyring.
	unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL
	XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/runtime" \
		dbus-run-session -- keyctl session - bash -c "$_TEST_SESSION_INNER" with_test_session "$@"
)

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

# build_cli [--release] — builds the `mediasaur` CLI; sets CLI_BIN to the binary.
build_cli() {
	local profile=debug
	[[ "${1:-}" == "--release" ]] && profile=release
	log "cargo build -p mediasaur-cli ($profile)"
	(cd "$MEDIASAUR_ROOT" && cargo build -p mediasaur-cli ${1:+"$1"})
	CLI_BIN="$CARGO_TARGET_DIR/$profile/mediasaur"
	[[ -x "$CLI_BIN" ]] || die "build finished but $CLI_BIN is missing"
}

# build_app [--release] — builds the web UI and the desktop app; sets APP_BIN to the binary.
build_app() {
	local profile=debug
	[[ "${1:-}" == "--release" ]] && profile=release
	build_ui
	log "cargo build -p mediasaur-desktop ($profile)"
	(cd "$MEDIASAUR_ROOT" && cargo build -p mediasaur-desktop ${1:+"$1"})
	APP_BIN="$CARGO_TARGET_DIR/$profile/mediasaur-desktop"
	[[ -x "$APP_BIN" ]] || die "build finished but $APP_BIN is missing"
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
