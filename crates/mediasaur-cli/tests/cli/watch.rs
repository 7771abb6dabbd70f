//! Watched folders from the command line: `watch add` checks the folder and refuses one watched
//! twice, `watch list --json` shows what is watched, `watch run` uploads the files dropped into a
//! folder until SIGINT and then exits 0 with a summary, and `watch remove` leaves nothing to run.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use mediasaur::store::queue::{Transfer, TransferQuery, TransferState};
use mediasaur::store::Database;
use mediasaur_e2e::{sha256_hex, test_bytes, TestServer};
use tokio::io::AsyncReadExt;

use crate::support::*;

/// Long enough for anything that should happen, on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// The CLI's transfers, or `None` while its database cannot be read (it is being created).
async fn cli_transfers(data_dir: &Path) -> Option<Vec<Transfer>> {
    if !data_dir.join(mediasaur::store::DATABASE_FILE).exists() {
        return None;
    }
    let db = Database::open_in(data_dir).await.ok()?;
    let query = TransferQuery {
        limit: Some(1000),
        ..TransferQuery::default()
    };
    let rows = db.transfers(&query).await.ok();
    db.close().await;
    rows
}

/// The File objects in bucket `default` (one page is plenty here).
async fn server_files(server: &TestServer) -> Vec<serde_json::Value> {
    let response = server
        .http()
        .get(server.url("/files"))
        .query(&[("bucket", "default"), ("limit", "1000")])
        .header("Authorization", server.bearer())
        .send()
        .await
        .expect("list files");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("a JSON envelope");
    body["data"]["files"]
        .as_array()
        .expect("data.files")
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_add_checks_the_folder_refuses_it_twice_and_list_and_remove_show_the_change() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("camera");
    std::fs::create_dir(&folder).unwrap();

    let missing = dir.path().join("no-such-folder");
    cli.run(["watch", "add", arg(&missing)])
        .await
        .error("invalid_request");
    let not_a_folder = write(dir.path(), "file.txt", b"x");
    cli.run(["watch", "add", arg(&not_a_folder)])
        .await
        .error("invalid_request");
    cli.run(["watch", "add", arg(&folder), "--prefix", "cam/../up"])
        .await
        .error("invalid_path");
    cli.run(["watch", "list", "--json"]).await.success();
    assert!(cli_transfers(cli.data_dir())
        .await
        .is_some_and(|t| t.is_empty()));

    let added = cli
        .run([
            "watch",
            "add",
            arg(&folder),
            "--prefix",
            "/cam/",
            "--ignore",
            "*.raw",
            "--move-after-upload",
            "--json",
        ])
        .await;
    let watch = added.success().json();
    let canonical = folder.canonicalize().unwrap();
    assert_eq!(text(&watch, "folder"), arg(&canonical), "{added}");
    assert_eq!(text(&watch, "bucket"), "default");
    assert_eq!(text(&watch, "prefix"), "cam");
    assert_eq!(text(&watch, "after_upload"), "move");
    assert_eq!(watch["recursive"], true);
    assert_eq!(watch["ignore"], serde_json::json!(["*.raw"]));
    let id = watch["id"].as_i64().expect("an id");

    // The same folder again, even spelled another way, is refused.
    let again = folder.join("..").join("camera");
    cli.run(["watch", "add", arg(&again)])
        .await
        .error("invalid_request");

    let list = cli.run(["watch", "list", "--json"]).await;
    let listed = list.success().json_lines();
    assert_eq!(listed, std::slice::from_ref(&watch), "{list}");
    let table = cli.run(["watch", "list"]).await;
    assert!(table.success().stdout.contains(arg(&canonical)), "{table}");

    let removed = cli.run(["watch", "remove", &id.to_string()]).await;
    removed.success();
    let list = cli.run(["watch", "list", "--json"]).await;
    assert!(list.success().stdout.is_empty(), "{list}");
    cli.run(["watch", "remove", &id.to_string()])
        .await
        .error("not_found");
    cli.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_run_uploads_dropped_files_until_sigint_then_exits_zero_with_a_summary() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("inbox");
    std::fs::create_dir(&folder).unwrap();
    let watch = cli
        .run(["watch", "add", arg(&folder), "--prefix", "inbox", "--json"])
        .await;
    watch.success();

    let args = ["watch", "run", "--stability", "300ms"];
    let mut child = cli
        .command(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mediasaur watch run");
    // Read both pipes all along: a full pipe (the trace log) would stall the CLI.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let stdout = tokio::spawn(async move {
        let mut text = String::new();
        stdout.read_to_string(&mut text).await.map(|_| text)
    });
    let stderr = tokio::spawn(async move {
        let mut text = String::new();
        stderr.read_to_string(&mut text).await.map(|_| text)
    });

    let files = [
        ("a.jpg", test_bytes(30_000, 51)),
        ("b.png", test_bytes(40_000, 52)),
        ("day/c.txt", test_bytes(5_000, 53)),
    ];
    for (name, bytes) in &files {
        write(&folder, name, bytes);
    }
    // A temporary name is never uploaded.
    write(&folder, "d.jpg.part", b"half a download");

    let deadline = tokio::time::Instant::now() + PATIENCE;
    let rows = loop {
        if let Some(rows) = cli_transfers(cli.data_dir()).await {
            let done = rows
                .iter()
                .filter(|t| t.state == TransferState::Done)
                .count();
            if done == files.len() {
                break rows;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "watch run ended on its own"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dropped files were not all uploaded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(rows.len(), files.len(), "{rows:#?}");

    let pid = child.id().expect("still running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("run kill");
    assert!(status.success());
    let status = tokio::time::timeout(PATIENCE, child.wait())
        .await
        .expect("watch run stops after SIGINT")
        .unwrap();
    let run = Run {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code: status.code(),
        stdout: stdout.await.unwrap().unwrap(),
        stderr: stderr.await.unwrap().unwrap(),
    };
    run.success();
    let mut uploaded: Vec<&str> = run.lines();
    uploaded.sort_unstable();
    assert_eq!(uploaded.len(), files.len(), "{run}");
    for (line, path) in uploaded.iter().zip([
        "default/inbox/a.jpg",
        "default/inbox/b.png",
        "default/inbox/day/c.txt",
    ]) {
        assert!(line.starts_with(&format!("uploaded {path} (")), "{run}");
    }
    assert_eq!(
        run.last_message(),
        "stopped: 3 uploaded, 0 failed; unfinished transfers stay queued",
        "{run}"
    );
    assert_eq!(find_leak(&run.stdout, &server.api_key), None);
    assert_eq!(find_leak(&run.stderr, &server.api_key), None);

    let stored = server_files(&server).await;
    let mut found: Vec<(String, String)> = stored
        .iter()
        .map(|f| (text(f, "path").to_owned(), text(f, "sha256").to_owned()))
        .collect();
    found.sort();
    let wanted: Vec<(String, String)> = files
        .iter()
        .map(|(name, bytes)| (format!("inbox/{name}"), sha256_hex(bytes)))
        .collect();
    assert_eq!(found, wanted);

    // With its only watch removed, there is nothing to run.
    let list = cli.run(["watch", "list", "--json"]).await;
    let id = list.success().json()["id"].as_i64().unwrap();
    cli.run(["watch", "remove", &id.to_string()])
        .await
        .success();
    cli.run(["watch", "run", "--stability", "300ms"])
        .await
        .error("no_watches");
    cli.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_run_without_any_watch_is_a_coded_error() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    let run = cli.run(["watch", "run"]).await;
    run.error("no_watches");
    assert!(run.stdout.is_empty(), "{run}");
    cli.assert_no_leaks();
}
