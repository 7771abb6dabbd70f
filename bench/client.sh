#!/usr/bin/env bash
# Benchmark of the `mediasaur` CLI (NOT a test). Starts one release mediasaur-server on a free loopback
# port with a temporary data dir, logs the CLI in (profile `bench`, key in a throw-away gnome-keyring),
# runs the cases below against that one server and prints a table: wall time, MiB/s, client CPU and
# peak RSS, server CPU, what was verified and how the numbers compare with the goals. Every upload is
# verified (sha256 of every File object against the source, or the HTTP status of every curl PUT); the
# script exits non-zero when a verification fails, never because a goal is missed.
#
#   1. one large random file: `mediasaur upload` (defaults: tus, 16 MiB chunks) vs `curl -T` to a signed
#      PUT URL from `mediasaur sign put`.               Goal: mediasaur >= 0.95x curl's MiB/s.
#   2. the same file with tus-js-client and tuspy (bench/tusjs_upload.cjs, bench/tuspy_upload.py).
#                                                       Goal: mediasaur >= 2x their MiB/s at <= 0.5x CPU s.
#   3. peak RSS of the CLI for a small, the large and a big file.   Goal: <= 40 MiB and flat.
#   4. many small files: `mediasaur upload DIR` vs a loop of one `curl -T` (API key header) per file.
#                                                       Goal: mediasaur >= 10x faster.
#
#   BENCH_SIZE_MB=1024       the large file of cases 1 and 2 (MiB)
#   BENCH_SMALL_MB=64        the small file of case 3 (MiB)
#   BENCH_BIG_MB=4096        the big file of case 3 (MiB; 0 skips it; skipped too when the disk is short)
#   BENCH_MANY=10000         number of files in case 4
#   BENCH_MANY_KB=16         size of each of them (KiB)
#   BENCH_CHUNK_MB=16        tuspy's PATCH size
#   BENCH_TUSJS_CHUNK_MB=0   tus-js-client's PATCH size (0 = the whole file in one PATCH, as bench/upload.sh)
#   BENCH_TMPDIR=$TMPDIR     where the temp dir goes (sources + server data: ~5x the large file, plus
#                            2x the big file, plus ~2x the many files; default /tmp)
#   BENCH_INSTALL_PEERS=1    install tus-js-client (npm ci in tests/interop) / tuspy (venv) if missing
#
# The CLI keeps API keys in the OS keyring, so the benchmark runs inside with_test_session (a private
# D-Bus session with a fresh, unlocked gnome-keyring; see scripts/lib.sh): the script re-executes itself
# there. Client CPU = user+sys of the client's process tree and client peak RSS = the largest maxrss in
# it (GNU time); server CPU comes from /proc/<pid>/stat.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
BENCH_DIR="$MEDIASAUR_ROOT/bench"
export LC_ALL=C # decimal points, not commas, in EPOCHREALTIME and awk

int_env() { # int_env NAME DEFAULT — prints $NAME (or DEFAULT), which must be a non-negative integer
	local value="${!1:-$2}"
	[[ "$value" =~ ^[0-9]+$ ]] || die "$1 must be a non-negative integer, got '$value'"
	printf '%s\n' "$((10#$value))"
}
SIZE_MB="$(int_env BENCH_SIZE_MB 1024)"
SMALL_MB="$(int_env BENCH_SMALL_MB 64)"
BIG_MB="$(int_env BENCH_BIG_MB 4096)"
MANY="$(int_env BENCH_MANY 10000)"
MANY_KB="$(int_env BENCH_MANY_KB 16)"
CHUNK_MB="$(int_env BENCH_CHUNK_MB 16)"
TUSJS_CHUNK_MB="$(int_env BENCH_TUSJS_CHUNK_MB 0)"
for var in SIZE_MB SMALL_MB MANY MANY_KB CHUNK_MB; do
	((${!var} > 0)) || die "BENCH_$var must be at least 1"
done
MIB=$((1024 * 1024))
SIZE=$((SIZE_MB * MIB))
SMALL=$((SMALL_MB * MIB))
BIG=$((BIG_MB * MIB))
MANY_BYTES=$((MANY_KB * 1024))

# ---------------------------------------------------------------------------------------------------
# The keyring: re-run this script inside a private Secret Service session.

if [[ "${MEDIASAUR_TEST_KEYRING:-}" != 1 ]]; then
	ensure_desktop_test_deps
	rc=0
	with_test_session bash "$(realpath "${BASH_SOURCE[0]}")" "$@" || rc=$?
	exit "$rc"
fi

WORK="$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/mediasaur-client-bench.XXXXXX")"
SERVER_PID=""
FAILED=0

cleanup() {
	if [[ -n "$SERVER_PID" ]]; then
		stop_pid "$SERVER_PID" mediasaur-server
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The CLI's profiles file and keyring entry: private to this run.
export MEDIASAUR_CONFIG_DIR="$WORK/config"
export MEDIASAUR_CLIENT_DATA_DIR="$WORK/client-data" # the transfer queue and history of this run only
export MEDIASAUR_KEYRING_SERVICE=mediasaur-bench
unset MEDIASAUR_PROFILE MEDIASAUR_LOG

# ---------------------------------------------------------------------------------------------------
# Small helpers

# jget FILE KEY.PATH — prints a value from a JSON file.
jget() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d[k]
print(d)' "$1" "$2"
}

# expect_code WANT GOT BODYFILE WHAT
expect_code() {
	if [[ "$2" != "$1" ]]; then
		log "$4: HTTP $2 (want $1)"
		[[ -s "$3" ]] && head -c 2000 "$3" >&2 && log ""
		return 1
	fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

avail_bytes() { df -P -B1 "$WORK" | awk 'NR == 2 { print $4 }'; }
gib() { awk -v b="$1" 'BEGIN { printf "%.1f GiB", b / 1073741824 }'; }

# calc AWK_EXPR — prints the value of an arithmetic expression, 2 decimals.
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
# holds AWK_CONDITION — true when the condition holds.
holds() { awk "BEGIN { exit !($1) }"; }

# random_file PATH BYTES — random bytes; writes "sha256<TAB>size<TAB>basename" to PATH.sums.
random_file() {
	log "creating $(awk -v b="$2" 'BEGIN { printf "%d MiB", b / 1048576 }') of random bytes: $1"
	head -c "$2" /dev/urandom >"$1"
	printf '%s\t%s\t%s\n' "$(python3 "$BENCH_DIR/client_files.py" sha "$1")" "$2" "${1##*/}" >"$1.sums"
}

# measure CMD... — runs CMD; its stdout stays stdout, its stderr goes to $WORK/case.err. Writes
# "wall_s user_s sys_s maxrss_kib" to $WORK/case.time (user/sys/maxrss: CMD and every descendant it
# waited for, from GNU time). Returns CMD's status.
measure() {
	local t0 t1 rc=0
	t0=$EPOCHREALTIME
	/usr/bin/time -o "$WORK/case.rusage" -f '%U %S %M' "$@" 2>>"$WORK/case.err" || rc=$?
	t1=$EPOCHREALTIME
	# On failure GNU time writes "Command exited with non-zero status N" first; the numbers are last.
	printf '%s %s\n' "$(calc "$t1 - $t0")" "$(tail -n1 "$WORK/case.rusage")" >"$WORK/case.time"
	return "$rc"
}

# cli ARGS... — the mediasaur CLI, as profile `bench`.
cli() { "$CLI_BIN" "$@" --profile bench; }

# Server-side counters, read from /proc.
CLK_TCK="$(getconf CLK_TCK)"
# Both print 0 once the server is gone (the run then fails with its log).
server_cpu_ticks() {
	local stat
	stat="$(cat "/proc/$SERVER_PID/stat" 2>/dev/null)" || { echo 0 && return; }
	# Fields after the ")" that ends comm: utime is the 12th, stime the 13th.
	awk '{ print $12 + $13 }' <<<"${stat##*) }"
}
server_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------------------------------------------
# The cases. Each runs in a subshell with errexit on; only the upload itself is measured. A case
# proves its upload by writing what it checked to $WORK/case.verified.

# verify_cli_json JSONL SUMS PREFIX — the CLI's File objects against the sources' sums.
verify_cli_json() {
	python3 "$BENCH_DIR/client_files.py" verify "$1" "$2" "$3" >"$WORK/case.verified"
}

# verify_file_json BODYFILE SUMS PATH — one File object in an API envelope (as PUT answers).
verify_file_json() {
	python3 -c '
import json, sys
print(json.dumps(json.load(open(sys.argv[1]))["data"]))' "$1" >"$WORK/case.jsonl"
	verify_cli_json "$WORK/case.jsonl" "$2" "${3%/*}"
}

# verify_upload_url URLFILE SUMS PATH — GET /uploads/<id> (tus): the File object it finished as.
verify_upload_url() {
	local code
	code="$(curl -sS -o "$WORK/upload.json" -w '%{http_code}' -H @"$WORK/auth.hdr" \
		-H 'Tus-Resumable: 1.0.0' "$(tail -n1 "$1")")"
	expect_code 200 "$code" "$WORK/upload.json" "GET /uploads/<id>"
	python3 -c '
import json, sys
print(json.dumps(json.load(open(sys.argv[1]))["data"]["file"]))' "$WORK/upload.json" >"$WORK/case.jsonl"
	verify_cli_json "$WORK/case.jsonl" "$2" "${3%/*}"
}

case_curl_put() {
	local path="bench/$RUN_ID/curl-put/${SRC##*/}" url code
	url="$(cli sign put "default/$path" --expires-in 3600 | tail -n1)"
	[[ "$url" == http* ]] || { log "mediasaur sign put printed '$url', not a URL"; return 1; }
	code="$(measure curl -sS -o "$WORK/put.json" -w '%{http_code}' -T "$SRC" "$url")"
	expect_code 201 "$code" "$WORK/put.json" "PUT signed URL"
	verify_file_json "$WORK/put.json" "$SRC.sums" "$path"
}

# case_cli FILE_OR_DIR SUMS PREFIX — `mediasaur upload` with its defaults.
case_cli() {
	measure "$CLI_BIN" upload "$1" --prefix "$3" --json --profile bench >"$WORK/case.jsonl"
	verify_cli_json "$WORK/case.jsonl" "$2" "$3"
}
case_cli_large() { case_cli "$SRC" "$SRC.sums" "bench/$RUN_ID/mediasaur-large"; }
case_cli_small() { case_cli "$SMALL_SRC" "$SMALL_SRC.sums" "bench/$RUN_ID/mediasaur-small"; }
case_cli_big() { case_cli "$BIG_SRC" "$BIG_SRC.sums" "bench/$RUN_ID/mediasaur-big"; }
case_cli_many() { case_cli "$MANY_DIR" "$MANY_DIR.sums" "bench/$RUN_ID/mediasaur-many"; }

case_tusjs() {
	local path="bench/$RUN_ID/tus-js-client/${SRC##*/}"
	BENCH_ENDPOINT="$BASE/uploads" BENCH_KEY="$KEY" BENCH_FILE="$SRC" BENCH_PATH="$path" \
		BENCH_CHUNK_BYTES="$((TUSJS_CHUNK_MB * MIB))" NODE_PATH="$TUSJS_NODE_PATH" \
		measure node "$BENCH_DIR/tusjs_upload.cjs" >"$WORK/case.upload_url"
	verify_upload_url "$WORK/case.upload_url" "$SRC.sums" "$path"
}

case_tuspy() {
	local path="bench/$RUN_ID/tuspy/${SRC##*/}"
	BENCH_ENDPOINT="$BASE/uploads" BENCH_KEY="$KEY" BENCH_FILE="$SRC" BENCH_PATH="$path" \
		BENCH_CHUNK_BYTES="$((CHUNK_MB * MIB))" measure "$TUSPY_PYTHON" "$BENCH_DIR/tuspy_upload.py" \
		>"$WORK/case.upload_url"
	verify_upload_url "$WORK/case.upload_url" "$SRC.sums" "$path"
}

case_curl_many() {
	measure bash "$BENCH_DIR/curl_put_each.sh" "$WORK/auth.hdr" "$BASE/default/bench/$RUN_ID/curl-many" \
		"$MANY_DIR" >"$WORK/case.codes"
	local created total
	created="$(grep -c '^201$' "$WORK/case.codes" || true)"
	total="$(wc -l <"$WORK/case.codes")"
	if ((created != MANY || total != MANY)); then
		log "curl loop: $created of $MANY PUTs answered 201 ($total answers); the others:"
		grep -v '^201$' "$WORK/case.codes" | sort | uniq -c >&2 || true
		return 1
	fi
	printf '%s/%s HTTP 201\n' "$created" "$MANY" >"$WORK/case.verified"
}

# ---------------------------------------------------------------------------------------------------
# Results: one row per case, kept in associative arrays keyed by the case's id.

ROWS=()
declare -A LABEL BYTES BYTES_TXT WALL CPU RSS SCPU STATUS OK GOAL

# run_case ID LABEL BYTES BYTES_TXT FUNCTION
run_case() {
	local id="$1" fn="$5" rc=0 cpu0 cpu1 wall=- user=0 sys=0 rss=-
	ROWS+=("$id")
	LABEL[$id]="$2" BYTES[$id]="$3" BYTES_TXT[$id]="$4" OK[$id]=0 GOAL[$id]=""
	log "--- $2"
	rm -f "$WORK"/case.*
	sync # the previous case's writeback must not slow this one down
	cpu0="$(server_cpu_ticks)"
	# A subshell that is not tested (no `if`, `||`, `&&`) keeps errexit, which must be on in it.
	set +e
	(
		set -e
		"$fn"
	)
	rc=$?
	set -e
	cpu1="$(server_cpu_ticks)"
	[[ -s "$WORK/case.time" ]] && read -r wall user sys rss <"$WORK/case.time"
	WALL[$id]="$wall"
	CPU[$id]="$(calc "$user + $sys")"
	RSS[$id]="$rss"
	SCPU[$id]="$(calc "$((cpu1 - cpu0)) / $CLK_TCK")"
	if ((rc == 0)) && [[ -s "$WORK/case.verified" ]]; then
		STATUS[$id]="$(cat "$WORK/case.verified")"
		OK[$id]=1
	else
		STATUS[$id]="FAILED (exit $rc)"
		FAILED=1
		[[ -s "$WORK/case.err" ]] && tail -n 20 "$WORK/case.err" >&2
	fi
	log "    ${STATUS[$id]}, wall ${wall}s"
}

# skip_case ID LABEL BYTES_TXT REASON
skip_case() {
	ROWS+=("$1")
	LABEL[$1]="$2" BYTES[$1]=0 BYTES_TXT[$1]="$3" WALL[$1]=- CPU[$1]=- RSS[$1]=- SCPU[$1]=- OK[$1]=0
	STATUS[$1]="skipped: $4" GOAL[$1]=""
	log "--- $2: skipped ($4)"
}

mibs() { calc "${BYTES[$1]} / 1048576 / ${WALL[$1]}"; }
verdict() { if holds "$1"; then echo ok; else echo MISSED; fi; }

compare_goals() {
	GOAL[curl_put]="baseline"
	GOAL[curl_many]="baseline"
	if ((OK[cli_large] && OK[curl_put])); then
		local r
		r="$(calc "$(mibs cli_large) / $(mibs curl_put)")"
		GOAL[cli_large]="${r}x curl MiB/s (goal >=0.95x) $(verdict "$r >= 0.95")"
	fi
	local peer speed cpu
	for peer in tusjs tuspy; do
		((OK[cli_large] && OK[$peer])) || continue
		speed="$(calc "$(mibs cli_large) / $(mibs "$peer")")"
		cpu="$(calc "${CPU[cli_large]} / (${CPU[$peer]} > 0 ? ${CPU[$peer]} : 0.01)")"
		GOAL[$peer]="mediasaur ${speed}x MiB/s, ${cpu}x CPU (goal >=2x, <=0.5x) $(verdict "$speed >= 2 && $cpu <= 0.5")"
	done
	# Peak RSS: every size measured (the large file's is row cli_large) within budget, and flat.
	local id sizes=() rsses=() last=""
	for id in cli_small cli_large cli_big; do
		((OK[$id])) || continue
		sizes+=("${BYTES_TXT[$id]}")
		rsses+=("$(calc "${RSS[$id]} / 1024")")
		last="$id"
	done
	if [[ -n "$last" ]]; then
		local max min
		max="$(printf '%s\n' "${rsses[@]}" | sort -g | tail -n1)"
		min="$(printf '%s\n' "${rsses[@]}" | sort -g | head -n1)"
		local joined_sizes joined_rss
		joined_sizes="$(IFS=/ && echo "${sizes[*]}")"
		joined_rss="$(IFS=/ && echo "${rsses[*]}")"
		GOAL[$last]="RSS ${joined_sizes}: ${joined_rss} MiB (goal <=40, flat: spread <=4) $(verdict "$max <= 40 && $max - $min <= 4")"
	fi
	if ((OK[cli_many] && OK[curl_many])); then
		local r
		r="$(calc "${WALL[curl_many]} / ${WALL[cli_many]}")"
		GOAL[cli_many]="${r}x faster than the curl loop (goal >=10x) $(verdict "$r >= 10")"
	fi
}

print_table() {
	local fmt='%-36s %-14s %8s %8s %8s %9s %8s  %-22s %s\n' id mibs_txt rss_txt
	printf '\nmediasaur CLI benchmark, run %s, one release server on 127.0.0.1\n' "$RUN_ID"
	printf 'machine: %s cores, %s, %s RAM, Linux %s; temp dir on %s\n' "$(nproc)" "$CPU_MODEL" \
		"$(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)" "$(uname -r)" \
		"$(df -P -T "$WORK" | awk 'NR == 2 { print $2 }')"
	printf 'versions: %s; %s; curl %s; node %s; tus-js-client %s; tuspy %s; python %s\n\n' \
		"$CLI_VERSION" "$SERVER_VERSION" "$(curl --version | awk 'NR == 1 { print $2 }')" \
		"$(node --version 2>/dev/null || echo -)" "$TUSJS_VERSION" "$TUSPY_VERSION" \
		"$(python3 -c 'import platform; print(platform.python_version())')"
	# shellcheck disable=SC2059 # the format is a variable on purpose
	printf "$fmt" case bytes "wall s" "MiB/s" "client" "client" "server" verified "vs goal"
	# shellcheck disable=SC2059
	printf "$fmt" "" "" "" "" "CPU s" "RSS MiB" "CPU s" "" ""
	for id in "${ROWS[@]}"; do
		mibs_txt=- rss_txt=-
		if [[ "${WALL[$id]}" != - ]]; then
			mibs_txt="$(calc "${BYTES[$id]} / 1048576 / (${WALL[$id]} > 0 ? ${WALL[$id]} : 0.001)")"
			mibs_txt="$(awk -v v="$mibs_txt" 'BEGIN { printf "%.1f", v }')"
		fi
		[[ "${RSS[$id]}" != - ]] && rss_txt="$(awk -v k="${RSS[$id]}" 'BEGIN { printf "%.1f", k / 1024 }')"
		# shellcheck disable=SC2059
		printf "$fmt" "${LABEL[$id]}" "${BYTES_TXT[$id]}" "${WALL[$id]}" "$mibs_txt" "${CPU[$id]}" \
			"$rss_txt" "${SCPU[$id]}" "${STATUS[$id]}" "${GOAL[$id]}"
	done
	printf '\nserver: peak RSS %.1f MiB over the whole run (idle after start: %.1f MiB)\n' \
		"$(calc "$(server_kb VmHWM) / 1024")" "$(calc "$SERVER_IDLE_KB / 1024")"
	printf 'client CPU = user+sys of the client process tree; client RSS = its largest process (GNU time %%M).\n'
	printf 'mediasaur upload runs with its defaults (< 8 MiB: one signed PUT, else tus in 16 MiB chunks;\n'
	printf 'concurrency 4). MiB/s = bytes / 2^20 / wall s. RSS "flat" = spread (max - min) <= 4 MiB.\n'
}

# ---------------------------------------------------------------------------------------------------

main() {
	ensure_rust
	command -v curl >/dev/null 2>&1 || die "curl not found"
	command -v python3 >/dev/null 2>&1 || die "python3 not found"
	[[ -x /usr/bin/time ]] || ensure_apt time

	# tus-js-client from tests/interop, tuspy from the shared venv (as bench/upload.sh).
	TUSJS_NODE_PATH="$MEDIASAUR_ROOT/tests/interop/node_modules"
	TUSPY_PYTHON="$MEDIASAUR_CACHE/venv/bin/python"
	if [[ "${BENCH_INSTALL_PEERS:-1}" == 1 ]]; then
		(ensure_interop_node) || log "note: npm ci in tests/interop failed; tus-js-client case may be skipped"
		(ensure_tuspy) || log "note: installing tuspy failed; tuspy case may be skipped"
	fi
	TUSJS_VERSION=- TUSPY_VERSION=-
	if command -v node >/dev/null 2>&1 &&
		NODE_PATH="$TUSJS_NODE_PATH" node -e 'require.resolve("tus-js-client")' >/dev/null 2>&1; then
		TUSJS_VERSION="$(NODE_PATH="$TUSJS_NODE_PATH" node -p 'require("tus-js-client/package.json").version' 2>/dev/null || echo '?')"
	fi
	if "$TUSPY_PYTHON" -c 'import tusclient' >/dev/null 2>&1; then
		TUSPY_VERSION="$("$TUSPY_PYTHON" -c 'import importlib.metadata as m; print(m.version("tuspy"))' 2>/dev/null || echo '?')"
	fi

	log "cargo build --release -p mediasaur-cli -p mediasaur-server"
	(cd "$MEDIASAUR_ROOT" && cargo build --release -p mediasaur-cli -p mediasaur-server)
	SERVER_BIN="$CARGO_TARGET_DIR/release/mediasaur-server"
	CLI_BIN="$CARGO_TARGET_DIR/release/mediasaur"
	[[ -x "$SERVER_BIN" && -x "$CLI_BIN" ]] || die "build finished but $SERVER_BIN or $CLI_BIN is missing"
	CLI_VERSION="$("$CLI_BIN" --version 2>/dev/null || echo 'mediasaur ?')"
	SERVER_VERSION="$("$SERVER_BIN" --version 2>/dev/null || echo 'mediasaur-server ?')"
	CPU_MODEL="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"

	# Sources, server copies of the large and small files, the many files twice (4 KiB of slack each).
	local need=$((5 * SIZE + 2 * SMALL + 2 * MANY * (MANY_BYTES + 4096) + 1024 * MIB)) avail
	avail="$(avail_bytes)"
	((avail >= need)) || die "$WORK has $(gib "$avail") free; the benchmark needs $(gib "$need") (set BENCH_TMPDIR)"

	RUN_ID="$(date +%Y%m%d-%H%M%S)-$$"
	local port
	port="$(free_port)"
	BASE="http://127.0.0.1:$port"
	KEY="$("$SERVER_BIN" --data-dir "$WORK/data" init)"
	[[ "$KEY" == sk_* ]] || die "init did not print an sk_ key (got '$KEY')"
	(umask 077 && printf 'Authorization: Bearer %s\n' "$KEY" >"$WORK/auth.hdr")

	local max_file_size=$((5 * 1024 * MIB))
	((SIZE > max_file_size)) && max_file_size=$SIZE
	((BIG > max_file_size)) && max_file_size=$BIG
	"$SERVER_BIN" --data-dir "$WORK/data" serve --listen "127.0.0.1:$port" --public-url "$BASE" \
		--max-file-size "$max_file_size" 2>"$WORK/server.log" &
	SERVER_PID=$!
	wait_for_health "$BASE" "$SERVER_PID" 30
	SERVER_IDLE_KB="$(server_kb VmRSS)"
	log "server pid $SERVER_PID on $BASE, idle RSS $SERVER_IDLE_KB kB"

	log "mediasaur login --profile bench --endpoint $BASE --bucket default"
	printf '%s' "$KEY" | cli login --endpoint "$BASE" --bucket default >&2

	# 1 and 2: the large file.
	SRC="$WORK/large-${SIZE_MB}m.bin"
	random_file "$SRC" "$SIZE"
	run_case curl_put "1  curl -T, signed PUT" "$SIZE" "$SIZE_MB MiB" case_curl_put
	run_case cli_large "1  mediasaur upload" "$SIZE" "$SIZE_MB MiB" case_cli_large

	local tusjs_label="2  tus-js-client, 1 PATCH"
	((TUSJS_CHUNK_MB > 0)) && tusjs_label="2  tus-js-client, $TUSJS_CHUNK_MB MiB PATCHes"
	if [[ "$TUSJS_VERSION" != - ]]; then
		run_case tusjs "$tusjs_label" "$SIZE" "$SIZE_MB MiB" case_tusjs
	else
		skip_case tusjs "$tusjs_label" "$SIZE_MB MiB" "tus-js-client not installed (npm ci in tests/interop)"
	fi
	if [[ "$TUSPY_VERSION" != - ]]; then
		run_case tuspy "2  tuspy, $CHUNK_MB MiB PATCHes" "$SIZE" "$SIZE_MB MiB" case_tuspy
	else
		skip_case tuspy "2  tuspy, $CHUNK_MB MiB PATCHes" "$SIZE_MB MiB" "tuspy not installed (scripts/test makes the venv)"
	fi
	rm -f "$SRC"

	# 3: peak RSS for a small and a big file (the large one is row cli_large).
	SMALL_SRC="$WORK/small-${SMALL_MB}m.bin"
	random_file "$SMALL_SRC" "$SMALL"
	run_case cli_small "3  mediasaur upload" "$SMALL" "$SMALL_MB MiB" case_cli_small
	rm -f "$SMALL_SRC"
	BIG_SRC="$WORK/big-${BIG_MB}m.bin"
	avail="$(avail_bytes)"
	need=$((2 * BIG + 512 * MIB))
	if ((BIG_MB == 0)); then
		skip_case cli_big "3  mediasaur upload" "- MiB" "BENCH_BIG_MB=0"
	elif ((avail < need)); then
		skip_case cli_big "3  mediasaur upload" "$BIG_MB MiB" "needs $(gib "$need") free, $WORK has $(gib "$avail")"
	else
		random_file "$BIG_SRC" "$BIG"
		run_case cli_big "3  mediasaur upload" "$BIG" "$BIG_MB MiB" case_cli_big
		rm -f "$BIG_SRC"
	fi

	# 4: many small files.
	MANY_DIR="$WORK/many"
	log "creating $MANY files of $MANY_KB KiB in $MANY_DIR"
	python3 "$BENCH_DIR/client_files.py" make "$MANY_DIR" "$MANY" "$MANY_BYTES" "$MANY_DIR.sums"
	run_case curl_many "4  curl loop, 1 PUT per file" "$((MANY * MANY_BYTES))" "$MANY x $MANY_KB KiB" case_curl_many
	run_case cli_many "4  mediasaur upload DIR" "$((MANY * MANY_BYTES))" "$MANY x $MANY_KB KiB" case_cli_many

	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		FAILED=1
		log "the server died during the benchmark; its log:"
		tail -n 50 "$WORK/server.log" >&2
	fi
	compare_goals
	print_table
	if ((FAILED)); then
		log "" && log "some uploads failed or did not verify; last lines of the server log:"
		tail -n 20 "$WORK/server.log" >&2
		exit 1
	fi
}

main "$@"
