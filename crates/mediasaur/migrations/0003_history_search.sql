-- Full-text search over the history's names and paths. Rows that existed before this migration are
-- indexed by the rebuild at the end.

CREATE VIRTUAL TABLE history_fts USING fts5 (
    name,
    path,
    content = 'history',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
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
