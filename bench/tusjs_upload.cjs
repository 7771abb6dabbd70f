// One tus upload with tus-js-client (Node), for bench/upload.sh. Prints the upload URL on success.
// Env: BENCH_ENDPOINT (…/uploads), BENCH_KEY (sk_…), BENCH_FILE, BENCH_PATH, BENCH_CHUNK_BYTES (0 = one PATCH).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const tus = require('tus-js-client'); // resolved through NODE_PATH (tests/interop/node_modules)

const { BENCH_ENDPOINT, BENCH_KEY, BENCH_FILE, BENCH_PATH } = process.env;
const chunkSize = Number(process.env.BENCH_CHUNK_BYTES || 0) || Infinity;

const upload = new tus.Upload(fs.createReadStream(BENCH_FILE), {
  endpoint: BENCH_ENDPOINT,
  chunkSize,
  headers: { Authorization: `Bearer ${BENCH_KEY}` },
  metadata: { bucket: 'default', path: BENCH_PATH, filename: path.basename(BENCH_PATH) },
  retryDelays: null, // a failure must show, not be retried away
  storeFingerprintForResuming: false,
  onError(err) {
    console.error(`tus-js-client: ${err}`);
    process.exit(1);
  },
  onSuccess() {
    console.log(upload.url);
  },
});
upload.start();
