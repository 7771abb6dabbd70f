#!/usr/bin/env bash
# curl_put_each.sh HEADER_FILE BASE_URL DIR — one `curl -T` per file in DIR to BASE_URL/<file name>,
# with the API key as a header read from HEADER_FILE (never in argv); prints each answer's HTTP status
# on its own line. The baseline of bench/client.sh and bench/app.sh.
set -u
hdr="$1" base="$2" dir="$3"
for f in "$dir"/*; do
	curl -sS -o /dev/null -w "%{http_code}\n" -H @"$hdr" -T "$f" "$base/${f##*/}"
done
