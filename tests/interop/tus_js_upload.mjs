// Uploads one file with the official tus-js-client (Node), as the interop tests drive it.
//
//   node tus_js_upload.mjs --endpoint URL --auth "Bearer …" --file PATH --path P
//                          [--bucket B] [--chunk-size N] [--retry-delays 0,100,500]
//
// On success prints one JSON line: {"upload_url": "...", "file_id": "file_..."}.
// On failure prints the error to stderr and exits 1.
import { createReadStream } from 'node:fs'
import { basename } from 'node:path'
import { parseArgs } from 'node:util'

import { Upload } from 'tus-js-client'

function parseCli() {
  const { values } = parseArgs({
    options: {
      endpoint: { type: 'string' },
      auth: { type: 'string' },
      file: { type: 'string' },
      bucket: { type: 'string' },
      path: { type: 'string' },
      'chunk-size': { type: 'string' },
      'retry-delays': { type: 'string', default: '0,1000,3000' },
    },
    strict: true,
  })
  for (const required of ['endpoint', 'auth', 'file', 'path']) {
    if (values[required] === undefined) throw new Error(`missing --${required}`)
  }
  const chunkSize = values['chunk-size'] === undefined ? Infinity : Number(values['chunk-size'])
  if (!(chunkSize > 0)) throw new Error(`--chunk-size must be a positive number`)
  const retryDelays = values['retry-delays']
    .split(',')
    .filter((d) => d !== '')
    .map(Number)
  if (retryDelays.some((d) => !Number.isFinite(d) || d < 0)) {
    throw new Error(`--retry-delays must be comma-separated milliseconds`)
  }
  return { ...values, chunkSize, retryDelays }
}

function upload(args) {
  const metadata = {
    path: args.path,
    filename: basename(args.file),
    filetype: 'application/octet-stream',
  }
  if (args.bucket !== undefined) metadata.bucket = args.bucket

  return new Promise((resolve, reject) => {
    const up = new Upload(createReadStream(args.file), {
      endpoint: args.endpoint,
      headers: { Authorization: args.auth },
      metadata,
      chunkSize: args.chunkSize,
      retryDelays: args.retryDelays,
      removeFingerprintOnSuccess: true,
      onError: reject,
      onSuccess: ({ lastResponse }) => {
        const fileId = lastResponse.getHeader('Mediasaur-File-Id')
        if (!fileId) {
          reject(new Error('the final response carried no Mediasaur-File-Id header'))
          return
        }
        resolve({ upload_url: up.url, file_id: fileId })
      },
    })
    up.start()
  })
}

try {
  const result = await upload(parseCli())
  process.stdout.write(`${JSON.stringify(result)}\n`)
} catch (err) {
  process.stderr.write(`tus-js-client upload failed: ${err?.stack ?? err}\n`)
  process.exitCode = 1
}
