//! `token` and `sign get|put`: what they print works against the server, within its limits.

use mediasaur_e2e::api_client::Api;
use mediasaur_e2e::{sha256_hex, test_bytes, TestServer};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minted_token_uploads_its_path_once() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;

    let run = cli
        .run(["token", "--path", "users/7/avatar.bin", "--json"])
        .await;
    let created = run.success().json();
    let token = text(&created, "token");
    assert!(token.starts_with("token_"), "{run}");
    assert_eq!(text(&created, "bucket"), "default");
    assert_eq!(text(&created, "path"), "users/7/avatar.bin");
    assert!(created["max_size"].is_null(), "{run}");
    assert!(!text(&created, "expires_at").is_empty(), "{run}");

    let bytes = test_bytes(2000, 3);
    let file = api
        .upload_with_token(token, "users/7/avatar.bin", &bytes)
        .await;
    assert_eq!(
        (file.path.as_str(), file.sha256.as_str()),
        ("users/7/avatar.bin", sha256_hex(&bytes).as_str())
    );
    // Single use.
    let fields = [mediasaur_e2e::api_client::Field::File(&bytes)];
    api.upload(token, &fields)
        .await
        .expect_error(403, "token_used");

    // Plain output is the token alone; --max-size reaches the server.
    let plain = cli
        .run(["token", "--path", "small.bin", "--max-size", "1K"])
        .await;
    let lines = plain.success().lines();
    assert!(
        lines.len() == 1 && lines[0].starts_with("token_"),
        "{plain}"
    );
    let too_big = test_bytes(1025, 4);
    let fields = [mediasaur_e2e::api_client::Field::File(&too_big)];
    api.upload(lines[0], &fields)
        .await
        .expect_error(413, "file_too_large");
    let with_limit = cli
        .run([
            "token",
            "--json",
            "--path",
            "small.bin",
            "--max-size",
            "1K",
            "--expires-in",
            "60",
        ])
        .await;
    assert_eq!(with_limit.success().json()["max_size"], 1024);

    cli.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_urls_put_within_their_limit_and_get_the_file() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;

    let run = cli
        .run(["sign", "put", "default/x.bin", "--max-size", "100"])
        .await;
    let lines = run.success().lines();
    assert_eq!(lines.len(), 1, "{run}");
    let put_url = lines[0].to_owned();
    assert!(
        put_url.starts_with(&server.url("/default/x.bin?")),
        "{put_url}"
    );
    api.put_url(&put_url, &test_bytes(200, 5))
        .await
        .expect_error(413, "file_too_large");
    let bytes = test_bytes(10, 6);
    let stored = api.put_url(&put_url, &bytes).await.file(201);
    assert_eq!(
        (stored.path.as_str(), stored.sha256.as_str()),
        ("x.bin", sha256_hex(&bytes).as_str())
    );

    // The bucket is private: only the signed GET URL reads the file.
    let unsigned = api.get_url(&server.url("/default/x.bin")).await;
    assert_eq!(unsigned.status, 403, "{unsigned}");
    let get = cli.run(["sign", "get", "default/x.bin"]).await;
    let lines = get.success().lines();
    assert_eq!(lines.len(), 1, "{get}");
    let downloaded = api.get_url(lines[0]).await;
    assert_eq!(downloaded.status, 200, "{downloaded}");
    assert_eq!(downloaded.body, bytes);

    let json = cli
        .run([
            "sign",
            "get",
            "default/x.bin",
            "--json",
            "--expires-in",
            "120",
        ])
        .await;
    let signed = json.success().json();
    assert_eq!(text(&signed, "method"), "GET", "{json}");
    let now = mediasaur_e2e::api_client::now();
    let expiry = signed["expiry"].as_i64().expect("expiry");
    assert!((now..=now + 121).contains(&expiry), "{json}");
    let downloaded = api.get_url(text(&signed, "url")).await;
    assert_eq!(downloaded.body, bytes, "{downloaded}");

    cli.assert_no_leaks();
}
