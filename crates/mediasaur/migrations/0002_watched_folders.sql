-- Watched folders, and which watch queued a transfer.

CREATE TABLE watches (
    id          INTEGER PRIMARY KEY,
    folder      TEXT    NOT NULL UNIQUE,
    profile     TEXT    NOT NULL,
    bucket      TEXT    NOT NULL,
    prefix      TEXT    NOT NULL DEFAULT '',
    recursive   INTEGER NOT NULL CHECK (recursive IN (0, 1)),
    -- JSON array of extra glob patterns, on top of the default temp/system ones.
    ignore      TEXT    NOT NULL DEFAULT '[]',
    after_upload TEXT   NOT NULL CHECK (after_upload IN ('keep', 'move')),
    paused      INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    created_at  INTEGER NOT NULL
);

ALTER TABLE transfers ADD COLUMN watch_id INTEGER REFERENCES watches (id) ON DELETE SET NULL;
CREATE INDEX transfers_by_watch ON transfers (watch_id, source);
