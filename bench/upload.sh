#!/usr/bin/env bash
# Upload throughput benchmark (NOT a test). Starts a release mediasaur-server on a free loopback port
# with a temporary data dir, uploads one random file several ways and prints a table: throughput, wall
# time, client CPU, server CPU and the server's peak RSS per case. Every upload is verified: the File
# object's sha256 must equal sha256sum of the source.
#
#   BENCH_SIZE_MB=1024       size of the random file (MiB)
#   BENCH_CHUNK_MB=16        PATCH size for the chunked curl case and tuspy
#   BENCH_TUSJS_CHUNK_MB=0   tus-js-client chunk size (0 = the whole file in one PATCH)
#   BENCH_TMPDIR=$TMPDIR     where the temp dir (source file + server data, ~6x the size) goes
#   BENCH_INSTALL_PEERS=1    install tus-js-client (npm ci in tests/interop) / tuspy (venv) if missing
#
# Cases: (a) signed PUT with curl -T, (b) tus with curl, one PATCH, (c) tus with curl in chunks,
# (d) tus-js-client, (e) tuspy. (d) and (e) are skipped with a note when their client is not installed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
BENCH_DIR="$MEDIASAUR_ROOT/bench"

SIZE_MB="${BENCH_SIZE_MB:-1024}"
CHUNK_MB="${BENCH_CHUNK_MB:-16}"
TUSJS_CHUNK_MB="${BENCH_TUSJS_CHUNK_MB:-0}"
[[ "$SIZE_MB" =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIZE_MB must be a positive integer (MiB), got '$SIZE_MB'"
[[ "$CHUNK_MB" =~ ^[1-9][0-9]*$ ]] || die "BENCH_CHUNK_MB must be a positive integer (MiB), got '$CHUNK_MB'"
[[ "$TUSJS_CHUNK_MB" =~ ^[0-9]+$ ]] || die "BENCH_TUSJS_CHUNK_MB must be an integer (MiB), got '$TUSJS_CHUNK_MB'"
SIZE=$((SIZE_MB * 1024 * 1024))
CHUNK=$((CHUNK_MB * 1024 * 1024))
MIN_MAX_FILE_SIZE=$((5 * 1024 * 1024 * 1024))
MAX_FILE_SIZE=$((SIZE > MIN_MAX_FILE_SIZE ? SIZE : MIN_MAX_FILE_SIZE))

WORK="$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/mediasaur-bench.XXXXXX")"
SRC="$WORK/source.bin"
SERVER_PID=""
RESULTS="$WORK/results.tsv"
FAILED=0

cleanup() {
	if [[ -n "$SERVER_PID" ]]; then
		stop_pid "$SERVER_PID" mediasaur-server
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------
# Small helpers

b64() { printf '%s' "$1" | base64 -w0; }

# jget FILE KEY.PATH — prints a value from a JSON file.
jget() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d[k]
print(d)' "$1" "$2"
}

# header FILE NAME — the last value of header NAME in a curl -D dump.
header() {
	{ grep -i "^$2:" "$1" || true; } | tail -n1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'
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

# timed CMD... — runs CMD; its stdout stays stdout, its stderr goes to $WORK/case.err; appends
# "wall user sys" (seconds, CMD and all its children) to $WORK/case.time.
timed() {
	local TIMEFORMAT='%3R %3U %3S'
	{ time "$@" 2>>"$WORK/case.err"; } 2>>"$WORK/case.time"
}

# Server-side counters, read from /proc.
CLK_TCK="$(getconf CLK_TCK)"
server_cpu_ticks() {
	# Fields after the ")" that ends comm: utime is the 12th, stime the 13th.
	sed 's/^.*) //' "/proc/$SERVER_PID/stat" | awk '{ print $12 + $13 }'
}
server_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status"; }
HWM_RESETTABLE=0
reset_server_hwm() {
	# Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0; needs privileges).
	if { echo 5 >"/proc/$SERVER_PID/clear_refs"; } 2>/dev/null; then HWM_RESETTABLE=1; fi
}

api() { # api METHOD PATH JSON OUTFILE — authenticated JSON call; prints the HTTP status
	curl -sS -o "$4" -w '%{http_code}' -X "$1" "$BASE$2" \
		-H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' --data-binary "$3"
}

# tus_create PATH — POST /uploads; writes the absolute upload URL to $WORK/case.upload_url.
tus_create() {
	local code
	code="$(curl -sS -D "$WORK/create.hdr" -o "$WORK/create.body" -w '%{http_code}' -X POST "$BASE/uploads" \
		-H "Authorization: Bearer $KEY" -H 'Tus-Resumable: 1.0.0' -H "Upload-Length: $SIZE" \
		-H "Upload-Metadata: bucket $(b64 default),path $(b64 "$1"),filename $(b64 "${1##*/}")")"
	expect_code 201 "$code" "$WORK/create.body" "POST /uploads"
	local loc
	loc="$(header "$WORK/create.hdr" location)"
	[[ -n "$loc" ]] || { log "POST /uploads: no Location header"; return 1; }
	[[ "$loc" == /* ]] && loc="$BASE$loc"
	printf '%s\n' "$loc" >"$WORK/case.upload_url"
}

# tus_patch OFFSET LENGTH — sends bytes [OFFSET, OFFSET+LENGTH) of $SRC in one PATCH (the whole file, or
# chunk file OFFSET/CHUNK made by split); checks the new offset; on the last chunk writes
# Mediasaur-File-Id to $WORK/case.file_id.
tus_patch() {
	local off="$1" len="$2" url code
	url="$(cat "$WORK/case.upload_url")"
	local common=(-sS -D "$WORK/patch.hdr" -o "$WORK/patch.body" -w '%{http_code}' -X PATCH
		-H "Authorization: Bearer $KEY" -H 'Tus-Resumable: 1.0.0' -H "Upload-Offset: $off"
		-H 'Content-Type: application/offset+octet-stream')
	# -T streams the body from disk (--data-binary @file would load all of it into memory first).
	local body="$SRC"
	((off == 0 && len == SIZE)) || body="$WORK/chunks/$(printf '%06d' $((off / CHUNK)))"
	[[ "$(stat -c %s "$body")" == "$len" ]] || { log "chunk $body is not $len bytes"; return 1; }
	code="$(curl "${common[@]}" -T "$body" "$url")"
	expect_code 204 "$code" "$WORK/patch.body" "PATCH offset $off"
	local got
	got="$(header "$WORK/patch.hdr" upload-offset)"
	[[ "$got" == "$((off + len))" ]] || { log "PATCH offset $off: Upload-Offset '$got', want $((off + len))"; return 1; }
	if ((off + len == SIZE)); then
		local id
		id="$(header "$WORK/patch.hdr" mediasaur-file-id)"
		[[ -n "$id" ]] || { log "final PATCH: no Mediasaur-File-Id header"; return 1; }
		printf '%s\n' "$id" >"$WORK/case.file_id"
	fi
}

# Verification: write the server's sha256 of the stored file to $WORK/case.sha.
sha_from_file_id() {
	local code
	code="$(curl -sS -o "$WORK/file.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
		"$BASE/files/$(cat "$WORK/case.file_id")")"
	expect_code 200 "$code" "$WORK/file.json" "GET /files/<id>"
	jget "$WORK/file.json" data.sha256 >"$WORK/case.sha"
}
sha_from_upload_url() {
	local code
	code="$(curl -sS -o "$WORK/upload.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
		-H 'Tus-Resumable: 1.0.0' "$(cat "$WORK/case.upload_url")")"
	expect_code 200 "$code" "$WORK/upload.json" "GET /uploads/<id>"
	local state
	state="$(jget "$WORK/upload.json" data.state)"
	[[ "$state" == complete* ]] || log "GET /uploads/<id>: state '$state'"
	jget "$WORK/upload.json" data.file.sha256 >"$WORK/case.sha"
}

# ---------------------------------------------------------------------------------------------------
# The cases. Each runs in its own subshell with errexit on; only the transfer itself is timed.

case_signed_put() {
	local p="bench/$RUN_ID/signed-put.bin" code
	code="$(api POST /signatures "{\"bucket\":\"default\",\"path\":\"$p\",\"method\":\"put\",\"expires_in\":600}" "$WORK/sig.json")"
	expect_code 201 "$code" "$WORK/sig.json" "POST /signatures"
	local url
	url="$(jget "$WORK/sig.json" data.url)"
	code="$(timed curl -sS -o "$WORK/put.json" -w '%{http_code}' -T "$SRC" "$url")"
	expect_code 201 "$code" "$WORK/put.json" "PUT signed URL"
	jget "$WORK/put.json" data.sha256 >"$WORK/case.sha"
}

_tus_curl_single() {
	tus_create "bench/$RUN_ID/tus-curl-single.bin"
	tus_patch 0 "$SIZE"
}
case_tus_curl_single() {
	timed _tus_curl_single
	sha_from_file_id
}

_tus_curl_chunks() {
	tus_create "bench/$RUN_ID/tus-curl-chunks.bin"
	local off=0 len
	while ((off < SIZE)); do
		len=$((SIZE - off < CHUNK ? SIZE - off : CHUNK))
		tus_patch "$off" "$len"
		off=$((off + len))
	done
}
case_tus_curl_chunks() {
	# Cut the file into chunk files first (not timed), so each PATCH is a plain streamed `curl -T`.
	mkdir -p "$WORK/chunks"
	split -b "$CHUNK" -d -a 6 "$SRC" "$WORK/chunks/"
	timed _tus_curl_chunks
	rm -rf "$WORK/chunks"
	sha_from_file_id
}

case_tusjs() {
	BENCH_ENDPOINT="$BASE/uploads" BENCH_KEY="$KEY" BENCH_FILE="$SRC" BENCH_PATH="bench/$RUN_ID/tus-js-client.bin" \
		BENCH_CHUNK_BYTES="$((TUSJS_CHUNK_MB * 1024 * 1024))" NODE_PATH="$TUSJS_NODE_PATH" \
		timed node "$BENCH_DIR/tusjs_upload.cjs" >"$WORK/case.upload_url"
	sha_from_upload_url
}

case_tuspy() {
	BENCH_ENDPOINT="$BASE/uploads" BENCH_KEY="$KEY" BENCH_FILE="$SRC" BENCH_PATH="bench/$RUN_ID/tuspy.bin" \
		BENCH_CHUNK_BYTES="$CHUNK" timed "$TUSPY_PYTHON" "$BENCH_DIR/tuspy_upload.py" >"$WORK/case.upload_url"
	sha_from_upload_url
}

# run_case LABEL FUNCTION — runs one case and appends a row to $RESULTS.
run_case() {
	local label="$1" fn="$2"
	log "--- $label"
	rm -f "$WORK"/case.*
	reset_server_hwm
	local cpu0 cpu1 rc=0
	cpu0="$(server_cpu_ticks)"
	# A background subshell keeps errexit active inside the case (it is off in `if`/`||` contexts).
	("$fn") &
	wait $! || rc=$?
	cpu1="$(server_cpu_ticks)"
	local hwm wall=0 user=0 sys=0 w u s status
	hwm="$(server_hwm_kb)"
	if [[ -f "$WORK/case.time" ]]; then
		while read -r w u s; do
			wall="$(awk -v a="$wall" -v b="$w" 'BEGIN { print a + b }')"
			user="$(awk -v a="$user" -v b="$u" 'BEGIN { print a + b }')"
			sys="$(awk -v a="$sys" -v b="$s" 'BEGIN { print a + b }')"
		done <"$WORK/case.time"
	fi
	if ((rc != 0)); then
		status="FAILED (exit $rc)"
		[[ -s "$WORK/case.err" ]] && tail -n 20 "$WORK/case.err" >&2
	elif [[ "$(cat "$WORK/case.sha" 2>/dev/null)" == "$SRC_SHA" ]]; then
		status="ok"
	else
		status="MISMATCH ($(cat "$WORK/case.sha" 2>/dev/null || echo none))"
	fi
	[[ "$status" == ok ]] || FAILED=1
	log "    $status"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$wall" "$user" "$sys" \
		"$(awk -v t="$((cpu1 - cpu0))" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')" \
		"$hwm" "$status" >>"$RESULTS"
}

skip_case() {
	log "--- $1: skipped ($2)"
	printf '%s\t-\t-\t-\t-\t-\tskipped: %s\n' "$1" "$2" >>"$RESULTS"
}

print_table() {
	local hwm_note="per case (VmHWM reset before each)"
	((HWM_RESETTABLE)) || hwm_note="cumulative (VmHWM could not be reset)"
	printf '\nMediasaur upload benchmark: %s MiB file, 127.0.0.1, %s cores, release build\n' "$SIZE_MB" "$(nproc)"
	printf 'Client CPU = user+sys of the client processes (curl, node, python); server peak RSS %s.\n\n' "$hwm_note"
	awk -F'\t' -v size="$SIZE" '
		BEGIN {
			printf "%-40s %9s %8s %12s %12s %14s  %s\n", "case", "MiB/s", "wall s", "client CPU s", "server CPU s", "server RSS MiB", "sha256"
		}
		$2 == "-" { printf "%-40s %9s %8s %12s %12s %14s  %s\n", $1, "-", "-", "-", "-", "-", $7; next }
		{
			mibs = ($2 > 0) ? size / 1048576 / $2 : 0
			printf "%-40s %9.1f %8.2f %12.2f %12.2f %14.1f  %s\n", $1, mibs, $2, $3 + $4, $5, $6 / 1024, $7
		}' "$RESULTS"
}

# ---------------------------------------------------------------------------------------------------

main() {
	ensure_rust
	command -v curl >/dev/null 2>&1 || die "curl not found"
	command -v python3 >/dev/null 2>&1 || die "python3 not found"

	# Optional clients: tus-js-client from tests/interop, tuspy from the shared venv.
	TUSJS_NODE_PATH="$MEDIASAUR_ROOT/tests/interop/node_modules"
	TUSPY_PYTHON="$MEDIASAUR_CACHE/venv/bin/python"
	if [[ "${BENCH_INSTALL_PEERS:-1}" == 1 ]]; then
		(ensure_interop_node) || log "note: npm ci in tests/interop failed; tus-js-client case may be skipped"
		(ensure_tuspy) || log "note: installing tuspy failed; tuspy case may be skipped"
	fi

	build_server --release
	RUN_ID="$(date +%s)"
	local port
	port="$(free_port)"
	BASE="http://127.0.0.1:$port"
	KEY="$("$SERVER_BIN" --data-dir "$WORK/data" init)"
	[[ "$KEY" == sk_* ]] || die "init did not print an sk_ key (got '$KEY')"

	log "creating a ${SIZE_MB} MiB random file in $WORK"
	head -c "$SIZE" /dev/urandom >"$SRC"
	SRC_SHA="$(sha256sum "$SRC" | cut -d' ' -f1)"

	"$SERVER_BIN" --data-dir "$WORK/data" serve --listen "127.0.0.1:$port" --public-url "$BASE" \
		--max-file-size "$MAX_FILE_SIZE" 2>"$WORK/server.log" &
	SERVER_PID=$!
	wait_for_health "$BASE" "$SERVER_PID" 30
	log "server pid $SERVER_PID on $BASE, idle RSS $(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status") kB"
	: >"$RESULTS"

	run_case "(a) signed PUT, curl -T" case_signed_put
	run_case "(b) tus, curl, 1 PATCH" case_tus_curl_single
	run_case "(c) tus, curl, ${CHUNK_MB} MiB PATCHes" case_tus_curl_chunks

	local tusjs_label="(d) tus-js-client, 1 PATCH"
	((TUSJS_CHUNK_MB > 0)) && tusjs_label="(d) tus-js-client, ${TUSJS_CHUNK_MB} MiB PATCHes"
	if command -v node >/dev/null 2>&1 &&
		NODE_PATH="$TUSJS_NODE_PATH" node -e 'require.resolve("tus-js-client")' >/dev/null 2>&1; then
		run_case "$tusjs_label" case_tusjs
	else
		skip_case "$tusjs_label" "tus-js-client not installed (npm ci in tests/interop)"
	fi

	if "$TUSPY_PYTHON" -c 'import tusclient' >/dev/null 2>&1; then
		run_case "(e) tuspy, ${CHUNK_MB} MiB PATCHes" case_tuspy
	else
		skip_case "(e) tuspy, ${CHUNK_MB} MiB PATCHes" "tuspy not installed (scripts/test makes the venv)"
	fi

	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		FAILED=1
		log "the server died during the benchmark; its log:"
		tail -n 50 "$WORK/server.log" >&2
	fi
	print_table
	if ((FAILED)); then
		log "" && log "some cases failed; last lines of the server log:"
		tail -n 20 "$WORK/server.log" >&2
		exit 1
	fi
}

main "$@"
