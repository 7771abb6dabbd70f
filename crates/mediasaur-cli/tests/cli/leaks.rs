//! The API key never leaks: every command, in its success and failure paths, with trace logging on,
//! and nothing of the key in what it printed or in the config directory.

use mediasaur_e2e::{test_bytes, TestServer};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_appears_in_no_output_log_or_file() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    cli.secret(&server.api_key);
    let endpoint = server.base.as_str();

    // Logins that fail, then ones that work, as text and as JSON.
    cli.login(endpoint, &unknown_key(), &["--bucket", "default"])
        .await
        .error("unauthorized");
    cli.run_with_stdin(
        ["login", "--endpoint", endpoint],
        &format!("{} trailing junk\n", server.api_key),
    )
    .await
    .error("unauthorized");
    cli.login(endpoint, &server.api_key, &["--bucket", "default"])
        .await
        .success();
    cli.login(
        endpoint,
        &server.api_key,
        &[
            "--profile",
            "second",
            "--json",
            "--no-verify",
            "--bucket",
            "default",
            "--prefix",
            "p",
        ],
    )
    .await
    .success();
    cli.run(["profiles"]).await.success();
    cli.run(["profiles", "--json"]).await.success();

    // Uploads of every kind, one failing.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tree/small.txt", b"small");
    write(dir.path(), "tree/sub/empty", b"");
    write(dir.path(), "tree/sub/mid.bin", &test_bytes(300_000, 1));
    let big = write(dir.path(), "big.bin", &test_bytes(2 * MIB + 1, 2));
    let bad = write(dir.path(), "bad\\name.txt", b"x");
    let tree = dir.path().join("tree");
    cli.run(["upload", arg(&tree)]).await.success();
    for strategy in ["put", "multipart", "tus"] {
        cli.run([
            "upload",
            "--json",
            "--strategy",
            strategy,
            "--chunk-size",
            "1M",
            "--prefix",
            strategy,
            arg(&tree),
            arg(&big),
        ])
        .await
        .success();
    }
    cli.run(["upload", "--profile", "second", arg(&tree)])
        .await
        .success();
    let failed = cli.run(["upload", arg(&bad), arg(&tree)]).await;
    assert_eq!(failed.code, Some(1), "{failed}");

    // Tokens, signed URLs and files.
    cli.run(["token", "--path", "t.bin"]).await.success();
    cli.run(["token", "--json", "--path", "t.bin", "--max-size", "1M"])
        .await
        .success();
    cli.run(["sign", "put", "default/s.bin", "--max-size", "100"])
        .await
        .success();
    cli.run(["sign", "get", "default/tree/small.txt", "--json"])
        .await
        .success();
    let listed = cli.run(["files", "list", "--json", "--all"]).await;
    let files = listed.success().json()["files"].clone();
    let id = text(&files[0], "id").to_owned();
    cli.run(["files", "list"]).await.success();
    cli.run(["files", "get", &id]).await.success();
    cli.run(["files", "get", &id, "--json"]).await.success();
    cli.run(["files", "delete", &id, "--json"]).await.success();
    cli.run(["files", "get", &id]).await.error("not_found");

    // A server that went away, and logging out.
    let gone = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone_url = format!("http://{}", gone.local_addr().unwrap());
    drop(gone);
    cli.login(&gone_url, &server.api_key, &["--profile", "gone"])
        .await
        .error("network");
    cli.login(
        &gone_url,
        &server.api_key,
        &["--profile", "gone", "--no-verify"],
    )
    .await
    .success();
    cli.run(["files", "list", "--profile", "gone"])
        .await
        .error("network");
    cli.run(["logout", "--profile", "gone", "--json"])
        .await
        .success();
    cli.run(["logout", "--profile", "second"]).await.success();

    // The check is only worth something if the logs were on and the key was really used.
    let runs = cli.runs();
    assert!(
        runs.iter().any(|run| run.stderr.contains(" TRACE ")),
        "MEDIASAUR_LOG=trace gave no trace lines"
    );
    assert!(runs.len() >= 25, "{} runs", runs.len());
    assert_eq!(
        cli.keyring_lookup("default").await.as_deref(),
        Some(server.api_key.as_str())
    );
    cli.assert_no_leaks();
}
