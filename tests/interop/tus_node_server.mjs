// The official tus server (@tus/server with a @tus/file-store FileStore), a second real tus peer for
// the client's tests; tests/src/tus_node_server.rs starts it.
//
//   node tus_node_server.mjs STORE_DIR [--expiration-ms N]
//
// Serves tus 1.0 at http://127.0.0.1:<random port>/files, storing uploads in STORE_DIR (each upload is
// a file named after its id plus `<id>.json` with its length and metadata). The FileStore offers the
// creation, creation-with-upload, creation-defer-length, termination and expiration extensions
// (checksum and concatenation are not implemented by @tus/server). Unfinished uploads expire
// --expiration-ms after their creation (default one hour; 0 turns Upload-Expires off). GET on an
// upload URL returns its bytes.
//
// Once listening, prints exactly one JSON line to stdout: {"url":"http://127.0.0.1:PORT/files"}.
// Errors go to stderr. SIGTERM or SIGINT stops it (exit 0).
import { Readable } from 'node:stream'
import { parseArgs } from 'node:util'

import { FileStore } from '@tus/file-store'
import { Server } from '@tus/server'

const PATH = '/files'

// FileStore.read returns a Node stream, which @tus/server wraps in `new Response(...)`. On Node 20 the
// async-iterator adapter of the bundled undici then closes the body stream twice after a GET has been
// answered, and the uncaught ERR_INVALID_STATE ("ReadableStream is already closed") kills the server.
// A web stream is used as the body as it is, which avoids that.
class WebReadFileStore extends FileStore {
  read(id) {
    return Readable.toWeb(super.read(id))
  }
}

function parseCli() {
  const { values, positionals } = parseArgs({
    options: {
      'expiration-ms': { type: 'string', default: String(60 * 60 * 1000) },
    },
    allowPositionals: true,
    strict: true,
  })
  if (positionals.length !== 1) throw new Error('usage: tus_node_server.mjs STORE_DIR [--expiration-ms N]')
  const expirationMs = Number(values['expiration-ms'])
  if (!Number.isSafeInteger(expirationMs) || expirationMs < 0) {
    throw new Error('--expiration-ms must be a non-negative integer')
  }
  return { directory: positionals[0], expirationMs }
}

function logError(what, err) {
  process.stderr.write(`tus_node_server: ${what}: ${err?.stack ?? err?.body ?? JSON.stringify(err)}\n`)
}

function start({ directory, expirationMs }) {
  const tus = new Server({
    path: PATH,
    datastore: new WebReadFileStore({ directory, expirationPeriodInMilliseconds: expirationMs }),
    // Every error response, expected (404, 409, 412…) or not, is worth a line in the test's log.
    onResponseError: (req, err) => {
      const status = err?.status_code ?? 500
      if (status >= 500) logError(`${req.method} ${req.url} -> ${status}`, err)
      else process.stderr.write(`tus_node_server: ${req.method} ${req.url} -> ${status}: ${String(err.body).trim()}\n`)
      return undefined // keep @tus/server's own status and body
    },
  })

  const http = tus.listen({ host: '127.0.0.1', port: 0 }, () => {
    const { port } = http.address()
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}${PATH}` })}\n`)
  })
  http.on('error', (err) => {
    logError('http server error', err)
    process.exit(1)
  })

  let stopping = false
  const stop = (signal) => {
    if (stopping) return
    stopping = true
    http.close(() => process.exit(0))
    // Don't wait for idle keep-alive connections (or clients stuck mid-PATCH).
    http.closeAllConnections()
    setTimeout(() => {
      process.stderr.write(`tus_node_server: still closing 5 s after ${signal}; exiting\n`)
      process.exit(0)
    }, 5000).unref()
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

try {
  start(parseCli())
} catch (err) {
  logError('cannot start', err)
  process.exit(1)
}
