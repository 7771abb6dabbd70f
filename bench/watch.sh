#!/usr/bin/env bash
# Benchmark (NOT a test) of watched-folder latency: an in-process server, a real database, a
# FolderWatcher (default 2 s stability window) and a queue runner woken on each `Queued`. Per file,
# latency = upload start - (last write + window), for a steady stream (one file every 10 ms) and a burst
# (1,000 at once) of 16 KiB files. Prints `scenario | files | p50 ms | p95 ms | max ms | all uploaded`
# and the burst's queue throughput.                     Goal: p95 <= 300 ms (printed MET/MISSED).
# Exits non-zero only when an upload is missing or wrong.
#
#   --window-ms N or BENCH_WINDOW_MS=2000   the stability window
#   BENCH_FILES=1000                        files per scenario
#   BENCH_FILE_KB=16                        size of each file (KiB)
#   BENCH_INTERVAL_MS=10                    the steady stream's interval
#   BENCH_CONCURRENCY=4                     the runner's concurrency
#   BENCH_DEBOUNCE_MS=50                    how long the watcher gathers events (the default)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$MEDIASAUR_ROOT"
exec cargo bench -p mediasaur-e2e --bench watch_latency -- "$@"
