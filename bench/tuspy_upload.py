"""One tus upload with tuspy, for bench/upload.sh. Prints the upload URL on success.

Env: BENCH_ENDPOINT (…/uploads), BENCH_KEY (sk_…), BENCH_FILE, BENCH_PATH, BENCH_CHUNK_BYTES.
tuspy reads each chunk into memory, so keep the chunk size moderate.
"""

import os
import posixpath

from tusclient import client

env = os.environ
tus = client.TusClient(env["BENCH_ENDPOINT"], headers={"Authorization": f"Bearer {env['BENCH_KEY']}"})
uploader = tus.uploader(
    file_path=env["BENCH_FILE"],
    chunk_size=int(env["BENCH_CHUNK_BYTES"]),
    metadata={
        "bucket": "default",
        "path": env["BENCH_PATH"],
        "filename": posixpath.basename(env["BENCH_PATH"]),
    },
    retries=0,
)
uploader.upload()
print(uploader.url)
