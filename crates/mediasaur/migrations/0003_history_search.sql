-- Full-text search over the history's names and paths. Rows that existed before this migration are
-- indexed by the rebuild at the end.

CREATE VIRTUAL TABLE history_fts USING fts5 (
    name,
    path,
    content = 'history',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    -- Every word of a search is a prefix. A prefix without its own index makes FTS5 merge the lists
    -- of every word it begins, ~30 ms for a word in a third of a million rows; with these a search
    -- reads one list, and the index grows by ~35% (~5% of the database; see benches/history_search.rs).
    prefix = '1 2 3 4 5 6 7 8 9 10 11 12'
);

CREATE TRIGGER history_fts_insert AFTER INSERT ON history BEGIN
    INSERT INTO history_fts (rowid, name, path) VALUES (new.id, new.name, new.path);
END;
CREATE TRIGGER history_fts_delete AFTER DELETE ON history BEGIN
    INSERT INTO history_fts (history_fts, rowid, name, path) VALUES ('delete', old.id, old.name, old.path);
END;
CREATE TRIGGER history_fts_update AFTER UPDATE OF name, path ON history BEGIN
    INSERT INTO history_fts (history_fts, rowid, name, path) VALUES ('delete', old.id, old.name, old.path);
    INSERT INTO history_fts (rowid, name, path) VALUES (new.id, new.name, new.path);
END;

INSERT INTO history_fts (history_fts) VALUES ('rebuild');

-- What the search filters read, in id order (the order results come in). A filtered page walks these
-- small entries newest first instead of the wide rows, whose File JSON is most of their size: on a
-- million uploads a rare filter or a past date range costs ~10x less (see benches/history_search.rs).
CREATE INDEX history_facts ON history (
    id, uploaded_at, kind, mime_type, width, height, duration_ms, profile, bucket, verified
);
