//! `login`, `profiles` and `logout`: the key goes from stdin to the Secret Service, the profile to
//! profiles.toml without it; wrong keys are refused before anything is saved.

use mediasaur_e2e::TestServer;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_stores_the_key_in_the_keyring_and_logout_removes_it() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    let endpoint = server.base.as_str();
    cli.secret(&server.api_key);

    // A well-formed key the server does not know: refused, nothing saved.
    let wrong = unknown_key();
    let refused = cli
        .login(
            endpoint,
            &wrong,
            &["--profile", "work", "--bucket", "default"],
        )
        .await;
    refused.error("unauthorized");
    assert!(
        refused.last_message().contains("nothing was saved"),
        "{refused}"
    );
    // The right key at a URL that is not the API's base: refused, nothing saved.
    let elsewhere = cli
        .login(
            &format!("{endpoint}not/the/api"),
            &server.api_key,
            &["--profile", "work"],
        )
        .await;
    elsewhere.error("not_found");
    assert!(
        elsewhere.last_message().contains("nothing was saved"),
        "{elsewhere}"
    );
    // Something that is not a key at all: refused too.
    cli.run_with_stdin(
        ["login", "--profile", "work", "--endpoint", endpoint],
        "hunter2\n",
    )
    .await
    .error("unauthorized");
    // No key on stdin.
    cli.run(["login", "--profile", "work", "--endpoint", endpoint])
        .await
        .error("unauthorized");
    // There is no way to pass a key in argv.
    let decoy = unknown_key();
    cli.secret(&decoy);
    for flag in ["--key", "--api-key"] {
        let refused = cli
            .run([
                "login",
                "--profile",
                "work",
                "--endpoint",
                endpoint,
                flag,
                &decoy,
            ])
            .await;
        assert_eq!(refused.code, Some(2), "a usage error:\n{refused}");
    }
    assert_eq!(cli.keyring_lookup("work").await, None, "no key was stored");
    let listed = cli.run(["profiles", "--json"]).await;
    assert_eq!(listed.success().json(), json!([]), "no profile was saved");

    // The right key, on stdin.
    let login = cli
        .login(
            endpoint,
            &server.api_key,
            &[
                "--profile",
                "work",
                "--bucket",
                "default",
                "--prefix",
                "up/",
            ],
        )
        .await;
    login.success();
    assert!(
        login.stdout.starts_with("Logged in as profile \"work\"")
            && login.stdout.contains("key checked"),
        "{login}"
    );
    assert_eq!(
        cli.keyring_lookup("work").await.as_deref(),
        Some(server.api_key.as_str()),
        "secret-tool finds the key under service {}, username work",
        cli.service()
    );
    let profiles_toml = std::fs::read_to_string(cli.profiles_file()).expect("profiles.toml");
    assert!(
        profiles_toml.contains(endpoint) && profiles_toml.contains("work"),
        "{profiles_toml}"
    );
    assert!(
        !profiles_toml.contains(&server.api_key) && !profiles_toml.contains("sk_"),
        "profiles.toml holds no key:\n{profiles_toml}"
    );

    let listed = cli.run(["profiles", "--json"]).await;
    assert_eq!(
        listed.success().json(),
        json!([{
            "name": "work",
            "endpoint": endpoint,
            "bucket": "default",
            "prefix": "up",
            "default": true,
            "key_stored": true,
        }]),
        "{listed}"
    );
    let table = cli.run(["profiles"]).await;
    let rows = table.success().lines();
    assert_eq!(rows.len(), 2, "{table}");
    assert!(
        rows[1].starts_with("* work") && rows[1].ends_with("stored"),
        "{table}"
    );
    // The stored key is the one commands use.
    cli.run(["files", "list", "--json"]).await.success();

    let logout = cli.run(["logout", "--json"]).await;
    assert_eq!(
        logout.success().json(),
        json!({"profile": "work", "profile_removed": true, "key_deleted": true}),
        "{logout}"
    );
    assert_eq!(cli.keyring_lookup("work").await, None, "the key is gone");
    let listed = cli.run(["profiles", "--json"]).await;
    assert_eq!(listed.success().json(), json!([]));
    let profiles_toml = std::fs::read_to_string(cli.profiles_file()).expect("profiles.toml");
    assert!(!profiles_toml.contains("work"), "{profiles_toml}");
    cli.run(["logout", "--profile", "work"])
        .await
        .error("config");
    cli.run(["files", "list", "--profile", "work"])
        .await
        .error("config");

    cli.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_profile_keeps_its_own_key_and_can_become_the_default() {
    let server = TestServer::start().await;
    let other = TestServer::start().await;
    let cli = Cli::new();
    cli.login(
        server.base.as_str(),
        &server.api_key,
        &["--bucket", "default"],
    )
    .await
    .success();
    cli.login(
        other.base.as_str(),
        &other.api_key,
        &["--profile", "other", "--bucket", "default"],
    )
    .await
    .success();
    assert_eq!(
        cli.keyring_lookup("default").await.as_deref(),
        Some(server.api_key.as_str())
    );
    assert_eq!(
        cli.keyring_lookup("other").await.as_deref(),
        Some(other.api_key.as_str())
    );

    let set = cli
        .run(["profiles", "--json", "--set-default", "other"])
        .await;
    let defaults: Vec<(String, bool)> = set
        .success()
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| (text(p, "name").to_owned(), p["default"] == json!(true)))
        .collect();
    assert_eq!(
        defaults,
        [("default".to_owned(), false), ("other".to_owned(), true)]
    );
    // `logout` without --profile now means `other`: `default` and its key stay.
    cli.run(["logout"]).await.success();
    assert_eq!(cli.keyring_lookup("other").await, None);
    assert_eq!(
        cli.keyring_lookup("default").await.as_deref(),
        Some(server.api_key.as_str())
    );
    cli.run(["files", "list", "--profile", "default"])
        .await
        .success();

    cli.assert_no_leaks();
}
