//! Errors a user runs into: no bucket anywhere, and a server that is not there.

use mediasaur_e2e::TestServer;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_that_need_a_bucket_say_so_when_none_is_given() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    // A profile without a default bucket.
    cli.login(server.base.as_str(), &server.api_key, &[])
        .await
        .success();
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f.txt", b"f");

    let upload = cli.run(["upload", arg(&file)]).await;
    upload.error("bucket_required");
    assert!(upload.last_message().contains("--bucket"), "{upload}");
    cli.run(["token", "--path", "f.txt"])
        .await
        .error("bucket_required");
    let listed = cli.run(["files", "list", "--json"]).await;
    assert_eq!(listed.success().json()["files"], serde_json::json!([]));

    // Naming the bucket is all that was missing.
    let uploaded = cli
        .run(["upload", "--json", "--bucket", "default", arg(&file)])
        .await;
    assert_eq!(text(&uploaded.success().json(), "path"), "f.txt");
    cli.run(["token", "--bucket", "default", "--path", "g.txt"])
        .await
        .success();

    cli.assert_no_leaks();
}

/// An address where nothing listens: a port the OS just gave out and took back.
async fn closed_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

// `upload` checks the server with one request before it starts, so a server that is down fails the
// run at once instead of after every file's retries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_is_a_network_error() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    let endpoint = closed_endpoint().await;

    let login = cli
        .login(&endpoint, &server.api_key, &["--bucket", "default"])
        .await;
    login.error("network");
    assert!(
        login.last_message().contains("nothing was saved"),
        "{login}"
    );
    assert_eq!(cli.keyring_lookup("default").await, None);

    cli.login(
        &endpoint,
        &server.api_key,
        &["--bucket", "default", "--no-verify"],
    )
    .await
    .success();
    assert_eq!(
        cli.keyring_lookup("default").await.as_deref(),
        Some(server.api_key.as_str())
    );
    let list = cli.run(["files", "list"]).await;
    list.error("network");
    assert!(list.last_message().contains(&endpoint), "{list}");
    cli.run(["token", "--path", "a.txt"]).await.error("network");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f.txt", b"f");
    let upload = cli.run(["upload", arg(&file)]).await;
    upload.error("network");
    assert!(
        upload.last_message().contains("cannot start uploading"),
        "{upload}"
    );
    // Signing needs no server.
    cli.run(["sign", "get", "default/a.txt"]).await.success();

    cli.assert_no_leaks();
}
