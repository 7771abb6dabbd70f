#!/usr/bin/env bash
# Benchmark of Mediasaur Desktop (NOT a test): start to first paint (cold and warm), idle CPU and
# memory, CPU and memory while uploading 1,000 files (against `mediasaur upload` and a curl loop on
# the same server), and frame time in the queue view with 100 and 10,000 rows. Builds the release app,
# CLI and server, then runs bench/app_bench.py (its docstring says what each case measures and lists
# the BENCH_APP_* knobs) inside a private Secret Service session, on its own Xvfb display and a
# loopback server, and prints a table. Exits non-zero only when an upload fails verification.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

if [[ "${MEDIASAUR_TEST_KEYRING:-}" != 1 ]]; then
	ensure_build_deps
	ensure_rust
	ensure_desktop_test_deps
	ensure_app_test_deps
	command -v python3 >/dev/null 2>&1 || die "python3 not found"
	[[ -x /usr/bin/time ]] || ensure_apt time
	build_server --release
	build_cli --release
	build_app --release
	export BENCH_SERVER_BIN="$SERVER_BIN" BENCH_CLI_BIN="$CLI_BIN" BENCH_APP_BIN="$APP_BIN"
	rc=0
	with_test_session bash "$(realpath "${BASH_SOURCE[0]}")" "$@" || rc=$?
	exit "$rc"
fi

exec python3 "$MEDIASAUR_ROOT/bench/app_bench.py" "$@"
