-- Upload requests handed out by the desktop app (a scoped token or a signed PUT URL for one path),
-- kept so their file's arrival is still noticed after a restart. `token` is the single-use,
-- path-scoped token the server minted, never an API key (like the signed URLs in share_links).

CREATE TABLE upload_requests (
    id          INTEGER PRIMARY KEY,
    profile     TEXT    NOT NULL,
    method      TEXT    NOT NULL CHECK (method IN ('token', 'signed_put')),
    bucket      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    token       TEXT,
    curl        TEXT    NOT NULL,
    asked_at    INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    -- Set once the file arrived; history_id is cleared if that history entry is deleted later.
    arrived_at  INTEGER,
    history_id  INTEGER REFERENCES history (id) ON DELETE SET NULL
);
CREATE INDEX upload_requests_open ON upload_requests (arrived_at, expires_at);
