//! Asking someone else for a file: the collaborator sends it as the request says (a multipart
//! `POST` with the single-use token, or a `PUT` to the signed URL), and the session notices it
//! arrived and records it in the history; a file that was there before the request does not count.
//! Requests outlive the app: after a restart they are listed as they were and still watched.

use std::time::{Duration, Instant};

use mediasaur::session::{RequestMethod, SessionEvent, UploadRequest, UploadRequestInput};
use mediasaur_e2e::{sha256_hex, test_bytes};
use reqwest::multipart::{Form, Part};

use crate::support::*;

fn ask(path: &str, method: RequestMethod, expires_in: u64) -> UploadRequestInput {
    UploadRequestInput {
        profile: None,
        bucket: None,
        path: path.into(),
        expires_in,
        method,
    }
}

/// The words of a command line as a POSIX shell splits them (single quotes and backslashes).
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut in_word) = (Vec::new(), String::new(), false);
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                word.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The `-F` / `--form-string` `name=value` fields of a curl line, in order.
fn curl_form_fields(curl: &str) -> Vec<(String, String)> {
    let words = shell_words(curl);
    words
        .windows(2)
        .filter(|pair| ["-F", "--form", "--form-string"].contains(&pair[0].as_str()))
        .map(|pair| {
            let (name, value) = pair[1]
                .split_once('=')
                .unwrap_or_else(|| panic!("a -F field without '=' in {curl:?}"));
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// The request with `id` as the session now shows it.
async fn request(h: &Harness, id: i64) -> UploadRequest {
    h.session
        .upload_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("request {id} is listed"))
}

/// Waits until the session says request `id`'s file arrived (`RequestsChanged` and
/// `HistoryChanged`), checks it took under ten seconds from `sent`, and returns the request.
async fn arrival(h: &mut Harness, id: i64, sent: Instant) -> UploadRequest {
    h.event(SessionEvent::RequestsChanged).await;
    h.event(SessionEvent::HistoryChanged).await;
    let took = sent.elapsed();
    assert!(took < Duration::from_secs(10), "noticed after {took:?}");
    request(h, id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requested_files_arrive_by_token_or_signed_put_and_old_files_do_not_count() {
    let mut h = Harness::new().await;

    // A file already at a path, then a request for that path.
    let put = h
        .server
        .http()
        .put(h.server.url(&format!("/{BUCKET}/requests/old.bin")))
        .header("Authorization", h.server.bearer())
        .body(b"there before the request".to_vec())
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    tokio::time::sleep(Duration::from_millis(20)).await;
    let old = h
        .session
        .request_upload(ask("requests/old.bin", RequestMethod::Token, 600))
        .await
        .unwrap();
    let old_asked = Instant::now();
    assert_eq!(old.arrived, None);

    for method in [RequestMethod::Token, RequestMethod::SignedPut] {
        error_with(
            h.session
                .request_upload(ask("requests/x.bin", method, 0))
                .await,
            "invalid_request",
        );
    }

    // By token: a multipart POST exactly as the request's curl line describes it.
    let by_token = h
        .session
        .request_upload(ask(
            "/requests/Bob's by-token.bin",
            RequestMethod::Token,
            600,
        ))
        .await
        .unwrap();
    assert_eq!(
        (
            by_token.method,
            by_token.bucket.as_str(),
            by_token.path.as_str()
        ),
        (RequestMethod::Token, BUCKET, "requests/Bob's by-token.bin")
    );
    let token = by_token.token.clone().expect("a token");
    assert!(by_token.curl.contains(&token), "{}", by_token.curl);
    assert!(by_token.curl.contains(&by_token.url), "{}", by_token.curl);
    assert!(
        !by_token.curl.contains(&h.server.api_key),
        "the API key is handed out: {}",
        by_token.curl
    );
    let now_ms = chrono::Utc::now().timestamp_millis();
    assert!(
        (now_ms + 590_000..=now_ms + 610_000).contains(&by_token.expires_at),
        "{by_token:?}"
    );
    let bytes = test_bytes(50_000, 71);
    let fields = curl_form_fields(&by_token.curl);
    assert!(
        fields
            .iter()
            .any(|(name, value)| name == "file" && value == "@FILE"),
        "the curl line sends FILE as `file`: {}",
        by_token.curl
    );
    let mut form = Form::new();
    for (name, value) in fields {
        form = if value == "@FILE" {
            form.part(name, Part::bytes(bytes.clone()).file_name("photo.bin"))
        } else {
            form.text(name, value)
        };
    }
    h.forget_events();
    let sent = Instant::now();
    let response = reqwest::Client::new()
        .post(&by_token.url)
        .header("Authorization", format!("Bearer {token}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(
        status.is_success(),
        "POST as `{}` says answered {status}: {body}",
        by_token.curl
    );
    let arrived = arrival(&mut h, by_token.id, sent).await;
    let entry = arrived.arrived.expect("arrived");
    assert_eq!(entry.file.path, "requests/Bob's by-token.bin");
    assert_eq!(entry.file.sha256, sha256_hex(&bytes));
    assert_eq!(entry.file.filesize, bytes.len() as u64);
    assert_eq!(
        (entry.profile.as_str(), entry.source.as_ref()),
        (PROFILE, None)
    );
    let recorded = h.session.database().history_entry(entry.id).await.unwrap();
    assert_eq!(recorded.file, entry.file);

    // By signed PUT: no credentials but the URL.
    let by_put = h
        .session
        .request_upload(ask("requests/by-put.bin", RequestMethod::SignedPut, 600))
        .await
        .unwrap();
    assert_eq!(by_put.token, None);
    assert!(by_put.curl.contains(&by_put.url), "{}", by_put.curl);
    assert!(by_put.curl.contains("-T FILE"), "{}", by_put.curl);
    let bytes = test_bytes(70_000, 72);
    h.forget_events();
    let sent = Instant::now();
    let response = reqwest::Client::new()
        .put(&by_put.url)
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert!(
        status.is_success(),
        "PUT answered {status}: {}",
        response.text().await.unwrap()
    );
    let arrived = arrival(&mut h, by_put.id, sent).await;
    let entry = arrived.arrived.expect("arrived");
    assert_eq!(entry.file.path, "requests/by-put.bin");
    assert_eq!(entry.file.sha256, sha256_hex(&bytes));
    let ids: Vec<i64> = h
        .session
        .upload_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, [by_put.id, by_token.id, old.id], "newest first");

    // The file that was there before its request never counts, however many checks pass.
    let checked_for = old_asked.elapsed();
    if checked_for < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_secs(5) - checked_for).await;
    }
    assert_eq!(request(&h, old.id).await.arrived, None);
    assert!(h.history_at("requests/old.bin").await.is_none());
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_kept_and_still_watched_after_a_restart() {
    let mut h = Harness::new().await;
    let done = h
        .session
        .request_upload(ask(
            "requests/before-restart.bin",
            RequestMethod::SignedPut,
            600,
        ))
        .await
        .unwrap();
    let early = test_bytes(10_000, 73);
    h.forget_events();
    let sent = Instant::now();
    let put = reqwest::Client::new()
        .put(&done.url)
        .body(early.clone())
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let history_id = arrival(&mut h, done.id, sent)
        .await
        .arrived
        .expect("arrived")
        .id;
    let waiting = h
        .session
        .request_upload(ask("requests/after-restart.bin", RequestMethod::Token, 600))
        .await
        .unwrap();

    // The app quits and starts again: both requests are listed as they were handed out.
    h.reopen().await;
    let listed = h.session.upload_requests().await.unwrap();
    assert_eq!(listed.len(), 2, "{listed:#?}");
    assert_eq!(
        listed[0], waiting,
        "the waiting request is kept whole (URL, token, curl line)"
    );
    assert_eq!(listed[1].id, done.id);
    assert_eq!(listed[1].arrived.as_ref().map(|e| e.id), Some(history_id));

    // The restarted session still watches for the waiting request's file.
    let bytes = test_bytes(20_000, 74);
    let form = Form::new()
        .text("path", waiting.path.clone())
        .part("file", Part::bytes(bytes.clone()).file_name("late.bin"));
    let sent = Instant::now();
    let response = reqwest::Client::new()
        .post(&waiting.url)
        .header(
            "Authorization",
            format!("Bearer {}", waiting.token.clone().expect("a token")),
        )
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let arrived = arrival(&mut h, waiting.id, sent).await;
    let entry = arrived.arrived.expect("noticed after the restart");
    assert_eq!(entry.file.path, "requests/after-restart.bin");
    assert_eq!(entry.file.sha256, sha256_hex(&bytes));
    // Recorded once: the request that had arrived before the restart was not looked for again.
    assert_eq!(h.history().await.len(), 2);

    // Deleting the history entry leaves the request, no longer pointing at it.
    h.session
        .database()
        .delete_history_entry(history_id)
        .await
        .unwrap();
    assert_eq!(request(&h, done.id).await.arrived, None);
    h.shutdown().await;
}
