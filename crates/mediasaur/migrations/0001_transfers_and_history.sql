-- The transfer queue and the history of uploaded File objects (release 0.1).
-- Times are milliseconds since the Unix epoch. No secret is ever stored here.

CREATE TABLE transfers (
    id              INTEGER PRIMARY KEY,
    source          TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    modified_ns     INTEGER NOT NULL,
    profile         TEXT    NOT NULL,
    bucket          TEXT    NOT NULL,
    path            TEXT    NOT NULL,
    strategy        TEXT    NOT NULL CHECK (strategy IN ('auto', 'put', 'multipart', 'tus')),
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'paused', 'failed', 'done', 'canceled')),
    -- The engine's resume state (JSON) after the last acknowledged chunk; NULL when there is none.
    resume          TEXT,
    fingerprint     TEXT,
    upload_url      TEXT,
    acked_bytes     INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    error_code      TEXT,
    error_message   TEXT,
    -- Why the last run started over instead of resuming (the server forgot it, the file changed…).
    restart_reason  TEXT,
    -- How a `done` transfer ended: sent, already on the server, or a duplicate of the history.
    outcome         TEXT CHECK (outcome IN ('uploaded', 'already_there', 'duplicate')),
    file_id         TEXT,
    -- The process running it (`pid-random`) and until when its claim holds without a heartbeat.
    runner          TEXT,
    lease_until     INTEGER,
    -- The command or drop that queued it, so a runner can take only those.
    batch           TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    started_at      INTEGER,
    finished_at     INTEGER
);
CREATE INDEX transfers_by_state ON transfers (state, id);
CREATE INDEX transfers_by_destination ON transfers (source, bucket, path);

CREATE TABLE history (
    id                  INTEGER PRIMARY KEY,
    file_id             TEXT    NOT NULL,
    profile             TEXT    NOT NULL,
    bucket              TEXT    NOT NULL,
    path                TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    kind                TEXT    NOT NULL,
    mime_type           TEXT    NOT NULL,
    size                INTEGER NOT NULL,
    width               INTEGER,
    height              INTEGER,
    duration_ms         INTEGER,
    url                 TEXT    NOT NULL,
    -- Ours, computed while reading the file; `verified` says the server's equals it.
    sha256              TEXT    NOT NULL,
    verified            INTEGER NOT NULL CHECK (verified IN (0, 1)),
    source              TEXT,
    source_size         INTEGER,
    source_modified_ns  INTEGER,
    uploaded_at         INTEGER NOT NULL,
    -- The server's File object as it answered, for export and for fields added later.
    file_json           TEXT    NOT NULL,
    UNIQUE (profile, file_id)
);
CREATE INDEX history_by_destination ON history (profile, bucket, path);
CREATE INDEX history_by_sha256 ON history (sha256);
CREATE INDEX history_by_source ON history (source);
CREATE INDEX history_by_size ON history (size);

CREATE TABLE share_links (
    id          INTEGER PRIMARY KEY,
    history_id  INTEGER NOT NULL REFERENCES history (id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX share_links_by_file ON share_links (history_id);
