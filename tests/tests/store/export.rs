//! `Database::export_history` (JSON and CSV, across many pages, with the filters) and the share links
//! it carries.

use mediasaur::api::FileKind;
use mediasaur::store::export::{ExportFormat, CSV_HEADER};
use mediasaur::store::search::HistoryQuery;
use serde_json::Value;

use crate::{audio, file, image, TestDb};

async fn export(test: &TestDb, filter: &HistoryQuery, format: ExportFormat) -> (u64, String) {
    let mut out = Vec::new();
    let count = test
        .db
        .export_history(filter, format, &mut out)
        .await
        .expect("export");
    (count, String::from_utf8(out).expect("UTF-8 export"))
}

#[tokio::test]
async fn json_export_parses_back_with_every_entry_and_its_share_links() {
    let test = TestDb::new().await;
    // More than two pages of the export's reads.
    let mut ids = Vec::new();
    for i in 0..1203 {
        let file = if i % 3 == 0 {
            audio("default", &format!("sounds/take-{i}.mp3"), 12.5)
        } else {
            image("default", &format!("photos/shot-{i}.jpg"), 4000, 3000)
        };
        ids.push(test.record("home", &file, i % 2 == 0).await);
    }
    let shared = ids[7];
    let first = test
        .db
        .record_share_link(
            shared,
            "http://127.0.0.1:9/default/photos/shot-7.jpg?sig=1",
            1_000,
        )
        .await
        .expect("a link");
    let second = test
        .db
        .record_share_link(
            shared,
            "http://127.0.0.1:9/default/photos/shot-7.jpg?sig=2",
            2_000,
        )
        .await
        .expect("a link");

    let (count, text) = export(&test, &HistoryQuery::default(), ExportFormat::Json).await;
    assert_eq!(count, 1203);
    let entries: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
    assert_eq!(entries.len(), 1203);
    let exported: Vec<i64> = entries
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect();
    let newest_first: Vec<i64> = ids.iter().rev().copied().collect();
    assert_eq!(exported, newest_first);

    let entry = entries
        .iter()
        .find(|e| e["id"] == shared)
        .expect("the shared entry");
    assert_eq!(entry["file"]["path"], "photos/shot-7.jpg");
    assert_eq!(entry["file"]["width"], 4000);
    assert_eq!(entry["profile"], "home");
    assert_eq!(entry["verified"], false);
    let links = entry["share_links"].as_array().expect("share_links");
    assert_eq!(links.len(), 2);
    assert_eq!(links[0]["url"], first.url.as_str());
    assert_eq!(links[0]["expires_at"], 1_000);
    assert_eq!(links[1]["id"], second.id);
    assert!(entries
        .iter()
        .filter(|e| e["id"] != shared)
        .all(|e| e["share_links"] == Value::Array(Vec::new())));

    // The filters apply.
    let sounds = HistoryQuery {
        kind: Some(FileKind::Audio),
        ..HistoryQuery::default()
    };
    let (count, text) = export(&test, &sounds, ExportFormat::Json).await;
    let entries: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
    assert_eq!((count, entries.len()), (401, 401));
    let nothing = HistoryQuery {
        text: Some("nowhere".into()),
        ..HistoryQuery::default()
    };
    let (count, text) = export(&test, &nothing, ExportFormat::Json).await;
    assert_eq!(count, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&text).expect("JSON"),
        Value::Array(Vec::new())
    );
    let bad = HistoryQuery {
        min_width: Some(2),
        max_width: Some(1),
        ..HistoryQuery::default()
    };
    let error = test
        .db
        .export_history(&bad, ExportFormat::Json, Vec::new())
        .await
        .expect_err("a bad filter");
    assert_eq!(error.code(), "invalid_request");
}

#[tokio::test]
async fn csv_export_has_a_header_and_one_quoted_row_per_entry() {
    let test = TestDb::new().await;
    let awkward = [
        "docs/plain.txt",
        "docs/comma, in the name.txt",
        "docs/\"quoted\" name.txt",
        "docs/line\nbreak.txt",
        "docs/semi;colon.txt",
    ];
    let mut ids = Vec::new();
    for path in awkward {
        let file = file("default", path, FileKind::Document, "text/plain");
        ids.push(test.record("work", &file, true).await);
    }
    let photo = image("media", "photos/big.jpg", 6000, 4000);
    let photo_id = test.record("work", &photo, false).await;
    let links = [
        "http://127.0.0.1:9/media/photos/big.jpg?expiry=1&signature=a",
        "http://127.0.0.1:9/media/photos/big.jpg?expiry=2&signature=b",
    ];
    for link in links {
        test.db
            .record_share_link(photo_id, link, 5_000)
            .await
            .expect("a link");
    }

    let (count, text) = export(&test, &HistoryQuery::default(), ExportFormat::Csv).await;
    assert_eq!(count, 6);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, CSV_HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(rows.len(), 6);
    let column = |row: &csv::StringRecord, name: &str| {
        let at = CSV_HEADER.iter().position(|h| *h == name).expect(name);
        row.get(at).expect("a cell").to_owned()
    };

    // Newest first: the photo, then the documents in reverse.
    let big = &rows[0];
    assert_eq!(column(big, "id"), photo_id.to_string());
    assert_eq!(column(big, "file_id"), photo.id);
    assert_eq!(column(big, "profile"), "work");
    assert_eq!(column(big, "bucket"), "media");
    assert_eq!(column(big, "path"), "photos/big.jpg");
    assert_eq!(column(big, "name"), "big.jpg");
    assert_eq!(column(big, "kind"), "image");
    assert_eq!(column(big, "type"), "image/jpeg");
    assert_eq!(column(big, "size"), photo.filesize.to_string());
    assert_eq!(
        (column(big, "width"), column(big, "height")),
        ("6000".into(), "4000".into())
    );
    assert_eq!(column(big, "duration"), "");
    assert_eq!(column(big, "sha256"), photo.sha256);
    assert_eq!(column(big, "verified"), "false");
    assert_eq!(column(big, "source"), "");
    assert_eq!(column(big, "share_links"), links.join(";"));
    let uploaded = chrono::DateTime::parse_from_rfc3339(&column(big, "uploaded_at"))
        .expect("RFC 3339 upload time");
    let now = chrono::Utc::now();
    assert!(
        (now - uploaded.to_utc()).num_minutes().abs() < 60,
        "{uploaded}"
    );

    let mut paths: Vec<String> = rows[1..].iter().map(|row| column(row, "path")).collect();
    paths.reverse();
    assert_eq!(
        paths, awkward,
        "names with commas, quotes and newlines survive"
    );
    let names: Vec<String> = rows[1..].iter().map(|row| column(row, "name")).collect();
    assert!(
        names.contains(&"comma, in the name.txt".to_owned()),
        "{names:?}"
    );
    assert!(rows[1..]
        .iter()
        .all(|row| column(row, "verified") == "true"));
    assert!(
        text.contains("\"docs/comma, in the name.txt\""),
        "the comma is quoted:\n{text}"
    );
}

#[tokio::test]
async fn share_links_belong_to_an_existing_entry() {
    let test = TestDb::new().await;
    let photo = image("default", "photos/cat.jpg", 800, 600);
    let id = test.record("home", &photo, true).await;
    assert!(test.db.share_links(id).await.expect("links").is_empty());

    let link = test
        .db
        .record_share_link(id, "http://127.0.0.1:9/default/photos/cat.jpg?x=1", 42)
        .await
        .expect("a link");
    assert_eq!(link.expires_at, 42);
    assert_eq!(
        test.db.share_links(id).await.expect("links"),
        std::slice::from_ref(&link)
    );
    let shown = test
        .db
        .history_entry_with_links(id)
        .await
        .expect("the entry");
    assert_eq!(shown.entry.file, photo);
    assert_eq!(shown.share_links, [link]);

    let error = test
        .db
        .record_share_link(id + 1000, "http://127.0.0.1:9/x", 42)
        .await
        .expect_err("no such entry");
    assert_eq!(error.code(), "not_found", "{error}");
    assert!(test
        .db
        .share_links(id + 1000)
        .await
        .expect("none")
        .is_empty());
}
