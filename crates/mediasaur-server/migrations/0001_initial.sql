-- Keys, buckets, tokens, tus uploads and stored files. Secrets never appear here in the clear: API keys
-- are kept as a SHA-256 hash plus the URL-signing key derived from them.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    key_hash    BLOB NOT NULL UNIQUE,
    signing_key BLOB NOT NULL,
    hint        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE buckets (
    name       TEXT PRIMARY KEY NOT NULL,
    public     INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    key_id     TEXT NOT NULL REFERENCES api_keys(id),
    bucket     TEXT NOT NULL,
    path       TEXT NOT NULL,
    max_size   INTEGER,
    expires_at INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    used_at    TEXT,
    upload_id  TEXT
);
CREATE INDEX tokens_expires_at ON tokens(expires_at);

CREATE TABLE uploads (
    id          TEXT PRIMARY KEY NOT NULL,
    bucket      TEXT NOT NULL REFERENCES buckets(name),
    path        TEXT NOT NULL,
    length      INTEGER,
    "offset"    INTEGER NOT NULL DEFAULT 0,
    max_size    INTEGER NOT NULL,
    metadata    TEXT NOT NULL,
    key_id      TEXT,
    token_jti   TEXT,
    state       TEXT NOT NULL,
    file_id     TEXT,
    error_code  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX uploads_receiving_expiry ON uploads(expires_at) WHERE state = 'receiving';

CREATE TABLE files (
    id         TEXT PRIMARY KEY NOT NULL,
    bucket     TEXT NOT NULL REFERENCES buckets(name),
    path       TEXT NOT NULL,
    blob_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    mime       TEXT NOT NULL,
    width      INTEGER,
    height     INTEGER,
    duration   REAL,
    filesize   INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (bucket, path)
);
