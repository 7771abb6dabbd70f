#!/usr/bin/env bash
# Benchmark (NOT a test) of the local history search: builds a database of 1,000,000 realistic uploads
# in a temporary directory, runs each query shape (common word, rare word, two-word prefix, kind and
# width, text with kind and dates, newest page, second page by cursor, …) ~200 times through
# `Database::search_history`, and prints `query | matches-per-page | p50 ms | p95 ms | max ms`, the build
# time and the database size.                                       Goal: p95 <= 30 ms for every shape.
#
#   HISTORY_BENCH_ROWS=1000000     rows to insert
#   HISTORY_BENCH_ITERATIONS=200   runs of each query shape
#   HISTORY_BENCH_DB=path          keep the database at path and reuse it on the next run
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$MEDIASAUR_ROOT"
exec cargo bench -p mediasaur --bench history_search "$@"
