//! Upgrading a database made by the previous release (migrations 0001 and 0002 only): every row
//! survives, and uploads recorded before the full-text index existed are found by search.

use std::borrow::Cow;

use mediasaur::api::FileObject;
use mediasaur::store::search::HistoryQuery;
use mediasaur::store::{Database, DATABASE_FILE, MIGRATOR};
use sqlx::migrate::Migrator;

use crate::{image, video};

/// The schema the previous release shipped.
const PREVIOUS_RELEASE: i64 = 2;

async fn insert_old_history(db: &Database, profile: &str, file: &FileObject, at: i64) -> i64 {
    let name = file.path.rsplit('/').next().expect("a name");
    sqlx::query_scalar(
        "INSERT INTO history (file_id, profile, bucket, path, name, kind, mime_type, size, width,
             height, duration_ms, url, sha256, verified, source, source_size, source_modified_ns,
             uploaded_at, file_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, NULL, NULL, NULL, ?, ?)
         RETURNING id",
    )
    .bind(&file.id)
    .bind(profile)
    .bind(&file.bucket)
    .bind(&file.path)
    .bind(name)
    .bind(file.kind.as_str())
    .bind(&file.mime_type)
    .bind(i64::try_from(file.filesize).expect("small"))
    .bind(file.width)
    .bind(file.height)
    .bind(file.duration.map(|s| (s * 1000.0).round() as i64))
    .bind(&file.url)
    .bind(&file.sha256)
    .bind(at)
    .bind(serde_json::to_string(file).expect("JSON"))
    .fetch_one(db.pool())
    .await
    .expect("insert an old history row")
}

async fn table_exists(db: &Database, name: &str) -> bool {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM sqlite_master WHERE name = ?")
        .bind(name)
        .fetch_optional(db.pool())
        .await
        .expect("read the schema");
    found.is_some()
}

#[tokio::test]
async fn a_previous_release_database_is_upgraded_with_its_rows_searchable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(DATABASE_FILE);
    let previous = Migrator {
        migrations: Cow::Owned(
            MIGRATOR
                .migrations
                .iter()
                .filter(|migration| migration.version <= PREVIOUS_RELEASE)
                .cloned()
                .collect(),
        ),
        ..Migrator::DEFAULT
    };
    assert_eq!(previous.migrations.len(), 2, "migrations 0001 and 0002");
    assert!(
        MIGRATOR.migrations.len() > 2,
        "this release adds migrations"
    );

    let old = Database::open_unmigrated(&path).await.expect("open");
    previous.run(old.pool()).await.expect("the previous schema");
    assert!(
        !table_exists(&old, "history_fts").await,
        "no search index yet"
    );
    let files = [
        image("default", "photos/2025/eiffel-tower.jpg", 4000, 3000),
        image("default", "photos/2025/Crème brûlée.jpg", 1200, 800),
        video("media", "videos/launch-party.mp4", 1920, 1080, 61.0),
    ];
    let mut old_ids = Vec::new();
    for (i, file) in (0_i64..).zip(&files) {
        old_ids.push(insert_old_history(&old, "home", file, 1_750_000_000_000 + i).await);
    }
    sqlx::query(
        "INSERT INTO share_links (history_id, url, expires_at, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(old_ids[0])
    .bind("http://127.0.0.1:9/default/photos/2025/eiffel-tower.jpg?sig=old")
    .bind(1_760_000_000_000_i64)
    .bind(1_750_000_000_000_i64)
    .execute(old.pool())
    .await
    .expect("an old share link");
    let transfer_id: i64 = sqlx::query_scalar(
        "INSERT INTO transfers (source, size, modified_ns, profile, bucket, path, strategy, state,
             acked_bytes, created_at, updated_at)
         VALUES ('/home/me/big.mov', 123456789, 42, 'home', 'media', 'videos/big.mov', 'tus',
             'paused', 16777216, 1750000000000, 1750000000001)
         RETURNING id",
    )
    .fetch_one(old.pool())
    .await
    .expect("an old transfer");
    old.close().await;

    let db = Database::open(&path).await.expect("open and upgrade");
    assert!(table_exists(&db, "history_fts").await);
    for (id, file) in old_ids.iter().zip(&files) {
        let entry = db.history_entry(*id).await.expect("an old entry");
        assert_eq!(&entry.file, file);
        assert_eq!(entry.profile, "home");
        assert!(entry.verified);
    }
    let links = db.share_links(old_ids[0]).await.expect("old links");
    assert_eq!(links.len(), 1);
    assert!(links[0].url.ends_with("sig=old"));
    let transfer: (String, String, String, i64, i64) =
        sqlx::query_as("SELECT source, state, path, size, acked_bytes FROM transfers WHERE id = ?")
            .bind(transfer_id)
            .fetch_one(db.pool())
            .await
            .expect("the old transfer");
    assert_eq!(
        transfer,
        (
            "/home/me/big.mov".into(),
            "paused".into(),
            "videos/big.mov".into(),
            123_456_789,
            16_777_216
        )
    );

    let search = |text: &str| HistoryQuery {
        text: Some(text.to_owned()),
        ..HistoryQuery::default()
    };
    let ids = |page: mediasaur::store::search::HistoryPage| -> Vec<i64> {
        page.entries.iter().map(|entry| entry.id).collect()
    };
    let found = db.search_history(&search("eiffel")).await.expect("search");
    assert_eq!(ids(found), [old_ids[0]]);
    let found = db
        .search_history(&search("creme brulee"))
        .await
        .expect("search");
    assert_eq!(ids(found), [old_ids[1]]);
    let found = db
        .search_history(&search("photos 2025"))
        .await
        .expect("search");
    assert_eq!(ids(found), [old_ids[1], old_ids[0]]);
    let found = db.search_history(&search("launch")).await.expect("search");
    assert_eq!(ids(found), [old_ids[2]]);

    // Uploads recorded after the upgrade are indexed by the triggers, next to the old ones.
    let new = image("default", "photos/2026/eiffel-at-night.jpg", 3000, 2000);
    let new_id = db
        .record_upload(&mediasaur::store::history::NewHistoryEntry {
            profile: "home".into(),
            source: None,
            sha256: new.sha256.clone(),
            file: new,
        })
        .await
        .expect("a new upload");
    let found = db.search_history(&search("eiffel")).await.expect("search");
    assert_eq!(ids(found), [new_id, old_ids[0]]);
    let everything = db
        .search_history(&HistoryQuery::default())
        .await
        .expect("all");
    assert_eq!(everything.entries.len(), 4);
}
