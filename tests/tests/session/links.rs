//! What a person does with an upload: a signed link anyone can download it with (recorded with
//! the entry), the link or URL copied on its own when a batch finishes, and deleting it from the
//! server and the history.

use mediasaur::session::SessionEvent;
use mediasaur::settings::{AutoCopy, Settings};
use mediasaur::transfers::QueueEvent;
use mediasaur_e2e::api_client::png;

use crate::support::*;

/// `GET url` without credentials: status and body.
async fn fetch(url: &str) -> (u16, Vec<u8>) {
    let response = reqwest::Client::new()
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_link_downloads_the_exact_bytes_without_credentials_and_is_recorded() {
    let mut h = Harness::new().await;
    let bytes = png(64, 48);
    let path = h.write("share me.png", &bytes);
    assert_eq!(h.add(&[&path], "shared").await.queued, 1);
    h.done_at("shared/share me.png").await;
    let entry = h
        .history_at("shared/share me.png")
        .await
        .expect("in history");

    let started = chrono::Utc::now().timestamp_millis();
    let link = h.session.share_link(entry.id, 3600).await.expect("a link");
    let expected_expiry = started + 3_600_000;
    assert!(
        (expected_expiry - 5_000..=expected_expiry + 5_000).contains(&link.expires_at),
        "{link:?} (expected about {expected_expiry})"
    );
    let (status, body) = fetch(&link.url).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(body == bytes, "the link serves other bytes");
    // The link is signed: the same URL with another signature is refused.
    let mut tampered = url::Url::parse(&link.url).unwrap();
    let pairs: Vec<(String, String)> = tampered
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert!(!pairs.is_empty(), "{}", link.url);
    tampered
        .query_pairs_mut()
        .clear()
        .extend_pairs(pairs.iter().map(|(k, v)| {
            (
                k.as_str(),
                if v.len() >= 32 {
                    "0".repeat(v.len())
                } else {
                    v.clone()
                },
            )
        }));
    assert_ne!(tampered.as_str(), link.url, "a signature to tamper with");
    assert_ne!(fetch(tampered.as_str()).await.0, 200);

    let recorded = h.session.database().share_links(entry.id).await.unwrap();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0].url, link.url);
    assert_eq!(recorded[0].expires_at, link.expires_at);
    let second = h.session.share_link(entry.id, 60).await.unwrap();
    assert_ne!(second.url, link.url);
    assert_eq!(
        h.session
            .database()
            .share_links(entry.id)
            .await
            .unwrap()
            .len(),
        2
    );
    error_with(h.session.share_link(entry.id, 0).await, "invalid_request");
    error_with(
        h.session.share_link(entry.id, 366 * 24 * 3600).await,
        "invalid_request",
    );
    h.shutdown().await;
}

/// Waits for a `CopyToClipboard` event, and returns its text.
async fn copy_text(h: &mut Harness) -> String {
    let event = h
        .events
        .wait_for("a copy", |e| {
            matches!(e, SessionEvent::CopyToClipboard { .. })
        })
        .await;
    let SessionEvent::CopyToClipboard { text } = event else {
        unreachable!()
    };
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_batch_puts_its_urls_or_signed_links_on_the_clipboard() {
    let mut h = Harness::new().await;
    let copied = |h: &mut Harness| {
        h.events.drain();
        h.events
            .seen
            .iter()
            .filter_map(|e| match e {
                SessionEvent::CopyToClipboard { text } => Some(text.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };

    // Off (the default): nothing is copied.
    let off = h.write("off.txt", b"not copied");
    h.add(&[&off], "copy").await;
    h.done_at("copy/off.txt").await;
    h.batch_finished().await;
    // The session is done with a batch (and its copy) when it passes on the runner's `Idle`.
    h.until("the queue idle after the batch", |seen| {
        seen.iter()
            .skip_while(|e| !matches!(e, SessionEvent::BatchFinished { .. }))
            .any(|e| {
                matches!(
                    e,
                    SessionEvent::Queue {
                        event: QueueEvent::Idle
                    }
                )
            })
    })
    .await;
    assert!(copied(&mut h).is_empty());

    // Url: one line per file of the batch, each the File's URL.
    h.session
        .save_settings(Settings {
            auto_copy: AutoCopy::Url,
            ..Settings::default()
        })
        .await
        .unwrap();
    h.forget_events();
    let a = h.write("a.txt", b"first file");
    let b = h.write("b.txt", b"second file");
    assert_eq!(h.add(&[&a, &b], "copy").await.queued, 2);
    let (_, file_a) = h.done_at("copy/a.txt").await;
    let (_, file_b) = h.done_at("copy/b.txt").await;
    let batch = h.batch_finished().await;
    assert_eq!(batch.done, 2, "{batch:?}");
    let text = copy_text(&mut h).await;
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    let mut urls = vec![file_a.url.as_str(), file_b.url.as_str()];
    urls.sort_unstable();
    assert_eq!(lines, urls, "{text:?}");
    assert_eq!(copied(&mut h).len(), 1, "copied once per batch");

    // SignedLink: a link that downloads the bytes without credentials.
    h.session
        .save_settings(Settings {
            auto_copy: AutoCopy::SignedLink,
            default_link_expiry: 600,
            ..Settings::default()
        })
        .await
        .unwrap();
    h.forget_events();
    let signed = h.write("signed.bin", b"bytes behind a signed link");
    assert_eq!(h.add(&[&signed], "copy").await.queued, 1);
    let (_, file) = h.done_at("copy/signed.bin").await;
    let link = copy_text(&mut h).await;
    assert_ne!(link, file.url, "a signed link, not the bare URL");
    assert!(!link.contains('\n'), "{link:?}");
    let (status, body) = fetch(&link).await;
    assert_eq!(status, 200, "{link}: {}", String::from_utf8_lossy(&body));
    assert_eq!(body, b"bytes behind a signed link");
    h.shutdown().await;
}

/// `GET /files/{id}` with the API key.
async fn file_by_id(h: &Harness, id: &str) -> reqwest::Response {
    h.server
        .http()
        .get(h.server.url(&format!("/files/{id}")))
        .header("Authorization", h.server.bearer())
        .send()
        .await
        .expect("GET /files/{id}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_upload_removes_it_from_the_server_and_the_history() {
    let mut h = Harness::new().await;
    let keep = h.write("keep.txt", b"stays");
    let gone = h.write("gone.txt", b"goes");
    let elsewhere = h.write("elsewhere.txt", b"deleted by someone else first");
    assert_eq!(h.add(&[&keep, &gone, &elsewhere], "del").await.queued, 3);
    h.done_at("del/keep.txt").await;
    let (_, file) = h.done_at("del/gone.txt").await;
    let (_, other) = h.done_at("del/elsewhere.txt").await;
    let entry = h.history_at("del/gone.txt").await.expect("in history");
    assert_eq!(entry.file.id, file.id);
    assert_eq!(file_by_id(&h, &file.id).await.status(), 200);

    h.forget_events();
    h.session
        .delete_remote_file(entry.id)
        .await
        .expect("delete");
    let response = file_by_id(&h, &file.id).await;
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    assert_eq!(h.download("del/gone.txt").await.0, 404);
    error_with(
        h.session.database().history_entry(entry.id).await,
        "not_found",
    );
    h.event(SessionEvent::HistoryChanged).await;
    error_with(h.session.delete_remote_file(entry.id).await, "not_found");
    error_with(h.session.share_link(entry.id, 60).await, "not_found");

    // A File the server no longer has is forgotten all the same.
    let other_entry = h.history_at("del/elsewhere.txt").await.unwrap();
    let deleted = h
        .server
        .http()
        .delete(h.server.url(&format!("/files/{}", other.id)))
        .header("Authorization", h.server.bearer())
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    h.session.delete_remote_file(other_entry.id).await.unwrap();
    error_with(
        h.session.database().history_entry(other_entry.id).await,
        "not_found",
    );

    // The other upload is untouched.
    let left: Vec<_> = h.history().await.into_iter().map(|e| e.file.path).collect();
    assert_eq!(left, ["del/keep.txt"]);
    assert_eq!(h.download("del/keep.txt").await, (200, b"stays".to_vec()));
    h.shutdown().await;
}
