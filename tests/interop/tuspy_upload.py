"""Uploads one file with the official Python tus client (tuspy), as the interop tests drive it.

    python tuspy_upload.py --endpoint URL --auth "Bearer ..." --file PATH --path P
                           [--bucket B] [--chunk-size N] [--retry-delays 0,100,500]

tuspy retries with one fixed delay, so --retry-delays gives the number of retries (its length) and the
delay (its largest value). On success prints one JSON line: {"upload_url": "...", "file_id": "file_..."}.
On failure prints the error to stderr and exits 1.
"""

import argparse
import json
import os
import sys

from tusclient import client


def parse_cli():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--auth", required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--bucket")
    parser.add_argument("--path", required=True)
    parser.add_argument("--chunk-size", type=int, default=sys.maxsize)
    parser.add_argument("--retry-delays", default="0,1000,3000")
    args = parser.parse_args()
    args.retry_delays = [int(d) for d in args.retry_delays.split(",") if d != ""]
    if args.chunk_size <= 0 or any(d < 0 for d in args.retry_delays):
        parser.error("--chunk-size must be positive and --retry-delays non-negative")
    return args


def upload(args):
    metadata = {
        "path": args.path,
        "filename": os.path.basename(args.file),
        "filetype": "application/octet-stream",
    }
    if args.bucket is not None:
        metadata["bucket"] = args.bucket

    tus = client.TusClient(args.endpoint, headers={"Authorization": args.auth})
    uploader = tus.uploader(
        file_path=args.file,
        chunk_size=args.chunk_size,
        metadata=metadata,
        retries=len(args.retry_delays),
        retry_delay=max(args.retry_delays, default=0) / 1000,
    )
    uploader.upload()
    # `request` is the last PATCH; tuspy keeps its response headers with lowercased names.
    file_id = uploader.request.response_headers.get("mediasaur-file-id") if uploader.request else None
    if not file_id:
        raise RuntimeError("the final response carried no Mediasaur-File-Id header")
    return {"upload_url": uploader.url, "file_id": file_id}


def main():
    args = parse_cli()
    try:
        result = upload(args)
    except Exception as err:  # any failure is reported the same way: stderr and exit 1
        detail = getattr(err, "response_content", None)
        print(f"tuspy upload failed: {type(err).__name__}: {err} {detail or ''}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
