//! `upload`: directory trees keep their layout and their bytes, large files go through tus in the
//! chunks asked for and survive a cut connection, and one bad file fails alone.

use std::collections::BTreeMap;
use std::path::Path;

use mediasaur_e2e::fault_proxy::FaultProxy;
use mediasaur_e2e::{sha256_hex, test_bytes, TestServer};
use serde_json::Value;

use crate::support::*;

/// Request and response headers of every request of one upload, with a wide margin.
const HEADER_SLACK: u64 = 64 * 1024;

/// A tree under `root/photos`: nested directories, an empty file, a 3 MiB file and non-ASCII names
/// (one decomposed, NFD, which the server stores composed, NFC). Returns each file's object path
/// under `prefix` with the SHA-256 of its bytes.
fn photo_tree(root: &Path, prefix: &str) -> BTreeMap<String, String> {
    write(root, "photos/nfd/cafe\u{301}.txt", b"decomposed");
    let nfc = (
        format!("{prefix}/photos/nfd/caf\u{e9}.txt"),
        sha256_hex(b"decomposed"),
    );
    let files: [(&str, Vec<u8>); 5] = [
        ("photos/a.txt", b"hello, mediasaur\n".to_vec()),
        ("photos/empty.bin", Vec::new()),
        ("photos/nested/deeper/big.bin", test_bytes(3 * MIB + 517, 7)),
        (
            "photos/caf\u{e9}/cr\u{e8}me br\u{fb}l\u{e9}e.txt",
            b"sugar".to_vec(),
        ),
        (
            "photos/\u{65e5}\u{672c}/\u{5199}\u{771f}.dat",
            test_bytes(4096, 8),
        ),
    ];
    files
        .into_iter()
        .map(|(relative, bytes)| {
            write(root, relative, &bytes);
            (format!("{prefix}/{relative}"), sha256_hex(&bytes))
        })
        .chain([nfc])
        .collect()
}

/// `path → sha256` of the File objects in `lines`, checking each is in bucket `default`.
fn uploaded(lines: &[Value]) -> BTreeMap<String, String> {
    lines
        .iter()
        .map(|file| {
            assert_eq!(text(file, "bucket"), "default", "{file}");
            assert!(text(file, "id").starts_with("file_"), "{file}");
            (
                text(file, "path").to_owned(),
                text(file, "sha256").to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_tree_is_uploaded_with_its_layout_and_bytes() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let expected = photo_tree(dir.path(), "p");
    let photos = dir.path().join("photos");

    let run = cli
        .run([
            "upload",
            "--json",
            "--prefix",
            "p",
            "--strategy",
            "tus",
            "--chunk-size",
            "1M",
            arg(&photos),
        ])
        .await;
    let lines = run.success().json_lines();
    assert_eq!(lines.len(), expected.len(), "one line per file:\n{run}");
    assert_eq!(uploaded(&lines), expected, "{run}");
    let big = lines
        .iter()
        .find(|file| text(file, "path") == "p/photos/nested/deeper/big.bin")
        .expect("big.bin");
    assert_eq!(big["filesize"], (3 * MIB + 517) as u64);

    // Every file went through tus: the server holds one completed tus upload per File object.
    let rows: Vec<(Option<String>, Option<i64>, String)> =
        sqlx::query_as("SELECT file_id, length, state FROM uploads")
            .fetch_all(server.state.db())
            .await
            .expect("read the tus uploads");
    let mut tus_files: Vec<&str> = rows
        .iter()
        .filter(|(_, _, state)| state == "complete")
        .filter_map(|(file, _, _)| file.as_deref())
        .collect();
    tus_files.sort_unstable();
    let mut ids: Vec<&str> = lines.iter().map(|file| text(file, "id")).collect();
    ids.sort_unstable();
    assert_eq!(tus_files, ids, "tus uploads: {rows:?}");

    // Without --json: one "uploaded" sentence per file, and a total on stderr.
    let plain = cli.run(["upload", "--prefix", "/q/", arg(&photos)]).await;
    let sentences = plain.success().lines();
    assert_eq!(sentences.len(), expected.len(), "{plain}");
    for path in expected.keys() {
        // Sentences name the stored (NFC) path.
        let target = format!("uploaded default/q/{} (", path.trim_start_matches("p/"));
        assert_eq!(
            sentences.iter().filter(|s| s.starts_with(&target)).count(),
            1,
            "no line starts with {target:?}:\n{plain}"
        );
    }
    assert!(
        plain
            .last_message()
            .starts_with(&format!("{} uploaded (", expected.len())),
        "{plain}"
    );

    let listed = cli
        .run(["files", "list", "--json", "--limit", "1000"])
        .await;
    let files = listed.success().json()["files"].clone();
    assert_eq!(
        files.as_array().map(Vec::len),
        Some(2 * expected.len()),
        "{listed}"
    );
    cli.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tus_upload_in_chunks_resumes_after_a_cut_connection() {
    let server = TestServer::start().await;
    let proxy = FaultProxy::start(server.addr).await;
    let cli = Cli::new();
    cli.login_default(&proxy.url(""), &server.api_key).await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = test_bytes(3 * MIB + 5, 21);
    let file = write(dir.path(), "big.bin", &bytes);

    // Only an upload sent in 1 MiB chunks has a second PATCH to cut.
    proxy.cut_upload_after(2, MIB as u64 / 2);
    let before = proxy.bytes_up();
    let run = cli
        .run([
            "upload",
            "--json",
            "--chunk-size",
            "1M",
            "--strategy",
            "tus",
            arg(&file),
        ])
        .await;
    let stored = run.success().json();
    assert_eq!(proxy.cuts(), 1, "the second PATCH was cut:\n{run}");
    assert_eq!(text(&stored, "path"), "big.bin");
    assert_eq!(text(&stored, "sha256"), sha256_hex(&bytes));
    assert_eq!(stored["filesize"], bytes.len() as u64);
    // It resumed: the acknowledged first chunk was not sent again.
    let sent = proxy.bytes_up() - before;
    assert!(
        sent <= (bytes.len() + MIB) as u64 + HEADER_SLACK,
        "sent {sent} bytes for {} (a restart from zero sends more)",
        bytes.len()
    );
    cli.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_good_file_is_uploaded_while_a_missing_and_a_badly_named_one_fail() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.txt", b"fine\n");
    // A backslash is fine in a Linux file name but not in an object path.
    let bad = write(dir.path(), "a\\b.txt", b"bad name\n");
    let missing = dir.path().join("missing.txt");

    let run = cli
        .run(["upload", "--json", arg(&good), arg(&missing), arg(&bad)])
        .await;
    assert_eq!(run.code, Some(1), "{run}");
    let stored = run.json();
    assert_eq!(text(&stored, "path"), "good.txt", "{run}");
    assert_eq!(text(&stored, "sha256"), sha256_hex(b"fine\n"));

    let summary: Vec<&str> = run
        .messages()
        .into_iter()
        .skip_while(|line| *line != "2 of 3 uploads failed:")
        .collect();
    assert_eq!(summary.len(), 3, "the summary ends stderr:\n{run}");
    let failures = summary[1..].join("\n");
    let missing_line = format!("  {}: cannot read {}", missing.display(), missing.display());
    assert!(
        summary[1..]
            .iter()
            .any(|line| line.starts_with(&missing_line) && line.ends_with(" [unreadable_file]")),
        "{failures}"
    );
    let bad_line = format!("  {} → default/a\\b.txt: ", bad.display());
    assert!(
        summary[1..]
            .iter()
            .any(|line| line.starts_with(&bad_line) && line.ends_with(" [invalid_path]")),
        "{failures}"
    );

    let listed = cli.run(["files", "list", "--json"]).await;
    let paths: Vec<String> = listed.success().json()["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|file| text(file, "path").to_owned())
        .collect();
    assert_eq!(paths, ["good.txt"], "{listed}");
    cli.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_files_for_one_path_upload_the_first_only() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let first = write(dir.path(), "one/same.txt", b"first");
    let second = write(dir.path(), "two/same.txt", b"second");

    let run = cli
        .run(["upload", "--json", arg(&first), arg(&second)])
        .await;
    assert_eq!(run.code, Some(1), "{run}");
    let stored = run.json();
    assert_eq!(text(&stored, "sha256"), sha256_hex(b"first"), "{run}");
    let messages = run.messages();
    let summary = messages
        .iter()
        .position(|line| *line == "1 of 2 uploads failed:")
        .unwrap_or_else(|| panic!("no summary:\n{run}"));
    let failure = messages[summary + 1];
    assert!(
        failure.starts_with(&format!("  {} → default/same.txt: ", second.display()))
            && failure.ends_with(" [duplicate_path]"),
        "{run}"
    );
    cli.assert_no_leaks();
}

// Re-uploading files the destination already holds must report them as already uploaded. A signed
// PUT to a taken path is answered 409 `file_exists` before its body is read, and the server then
// closes that connection (without `Connection: close`); the client checks with `GET /files` that the
// bytes there are its own. With files of a few MiB the client sometimes reuses the closed connection
// for that check, or loses the PUT's answer to a broken pipe; either must be retried, not reported
// as a failed upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_uploading_large_files_already_there_reports_them_reused() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let count = 8;
    for i in 0..count {
        write(
            dir.path(),
            &format!("again/{i}.bin"),
            &test_bytes(3 * MIB + i, 30 + i as u64),
        );
    }
    let again = dir.path().join("again");
    cli.run(["upload", "--json", arg(&again)]).await.success();
    for _ in 0..3 {
        // `--force`: past the history, so the server is the one saying the bytes are there.
        let run = cli
            .run(["upload", "--force", "--concurrency", "8", arg(&again)])
            .await;
        let lines = run.success().lines();
        assert_eq!(lines.len(), count, "{run}");
        assert!(
            lines
                .iter()
                .all(|line| line.starts_with("already uploaded default/again/")),
            "{run}"
        );
    }
    cli.assert_no_leaks();
}
