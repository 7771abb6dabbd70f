//! API keys in the real Secret Service (the private gnome-keyring `scripts/test` starts): stored where
//! `secret-tool` finds them, loaded back, deleted; and a key loaded from it never shows in a client's
//! `Debug`, in any error or event of a failing upload, or in the profiles file.

use std::process::Command;

use mediasaur::keyring::KeyringStore;
use mediasaur::profile::{Profile, ProfileStore};
use mediasaur::upload::{SingleRequest, UploadEvent};
use mediasaur::{ApiKey, ClientError, Strategy, UploadClient, UploadOptions};
use mediasaur_e2e::fake_http::{response, FakeHttp};
use mediasaur_e2e::{
    random_hex, require_keyring_session as require_session, secret_tool_lookup, TestServer,
};
use url::Url;

use crate::support::*;

/// A keyring store under a service name of its own, so tests never see each other's entries.
fn unique_store() -> (KeyringStore, String) {
    let service = format!("mediasaur-test-{}", random_hex());
    (KeyringStore::with_service(&service), service)
}

fn random_key() -> String {
    format!("sk_test{}", random_hex())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_stored_in_the_secret_service_loaded_back_and_deleted() {
    require_session();
    let (store, service) = unique_store();
    let secret = random_key();
    let key = ApiKey::parse(&secret).unwrap();
    store.store("work", &key).expect("store the key");

    assert_eq!(
        secret_tool_lookup(&service, "work").as_deref(),
        Some(secret.as_str()),
        "secret-tool finds the key under service {service}, username work"
    );
    assert_eq!(store.load("work").expect("load").expose(), secret);
    assert!(
        store.has_key("work").expect("has_key"),
        "a stored key is seen"
    );
    assert!(
        !store.has_key("home").expect("has_key"),
        "another profile has none"
    );
    assert_eq!(
        store.load_async("work").await.expect("load_async").expose(),
        secret
    );

    // Another profile has no key; the message says how to get one.
    let error = store
        .load("home")
        .err()
        .expect("no key for another profile");
    assert_eq!(error.code(), "no_api_key");
    assert!(
        error.to_string().contains("mediasaur login --profile home"),
        "{error}"
    );

    // Storing again replaces.
    let second = random_key();
    store
        .store("work", &ApiKey::parse(&second).unwrap())
        .unwrap();
    assert_eq!(
        secret_tool_lookup(&service, "work").as_deref(),
        Some(second.as_str())
    );
    assert_eq!(store.load("work").unwrap().expose(), second);

    assert!(
        store.delete("work").expect("delete"),
        "there was a key to delete"
    );
    assert_eq!(
        secret_tool_lookup(&service, "work"),
        None,
        "the Secret Service forgot it"
    );
    assert!(
        !store.has_key("work").expect("has_key"),
        "gone after delete"
    );
    let error = store.load("work").err().expect("no key after delete");
    assert_eq!(error.code(), "no_api_key");
    let error = store
        .load_async("work")
        .await
        .err()
        .expect("no key after delete");
    assert_eq!(error.code(), "no_api_key");
    assert!(
        !store.delete("work").expect("delete again"),
        "nothing left to delete"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_that_is_not_a_key_is_a_clear_error_without_its_value() {
    require_session();
    let (store, service) = unique_store();
    let junk = "not-a-key-but-a-password-1234";
    let mut child = Command::new("secret-tool")
        .args([
            "store",
            "--label=junk",
            "service",
            &service,
            "username",
            "junk",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("run secret-tool");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), junk.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "secret-tool store");

    let error = store.load("junk").err().expect("not an API key");
    assert_eq!(error.code(), "keyring_unavailable", "{error}");
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("is not an API key"), "{shown}");
    assert!(!shown.contains(junk), "the stored value leaked: {shown}");
    // Listing profiles only asks whether an entry exists; a bad one surfaces when it is used.
    assert!(store.has_key("junk").expect("has_key"));
    assert!(store.delete("junk").unwrap());
}

/// Everything a failing upload produced that could be shown or logged: the error's Display and Debug
/// and every event.
async fn failing_upload_output(
    client: &UploadClient,
    path: &std::path::Path,
    strategy: Strategy,
) -> (ClientError, String) {
    let (tx, mut rx) = events();
    let error = client
        .upload(
            path,
            dest("leak/file.bin"),
            UploadOptions {
                strategy,
                events: Some(tx),
            },
        )
        .unwrap()
        .wait()
        .await
        .err()
        .unwrap_or_else(|| panic!("{strategy:?}: the upload must fail"));
    let events: Vec<UploadEvent> = drain(&mut rx);
    let shown = format!(
        "{error}\n{error:?}\n{events:?}\n{}",
        serde_json::to_string(&events).unwrap()
    );
    (error, shown)
}

const STRATEGIES: [Strategy; 3] = [
    Strategy::Single(SingleRequest::SignedPut),
    Strategy::Single(SingleRequest::MultipartToken),
    Strategy::Tus,
];

/// The key and its part after `sk_`, neither of which may appear.
fn assert_no_key(secret: &str, what: &str, text: &str) {
    let body = secret.trim_start_matches("sk_");
    assert!(
        !text.contains(secret) && !text.contains(body),
        "the API key appears in {what}:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_from_the_keyring_never_shows_in_debug_errors_events_or_the_profiles_file() {
    require_session();
    let (store, _) = unique_store();
    let secret = random_key();
    store
        .store("work", &ApiKey::parse(&secret).unwrap())
        .unwrap();
    let key = store.load_async("work").await.unwrap();

    // A real server that does not know the key.
    let server = TestServer::start().await;
    let client = UploadClient::new(&server.base, key, small_config()).unwrap();
    assert_no_key(
        &secret,
        "the client's Debug",
        &format!("{client:?} {client:#?}"),
    );

    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "file.bin", 10_000, 31);
    for strategy in STRATEGIES {
        // Which code a refused key gets is bad_input's business; here only what is shown counts.
        let (_, shown) = failing_upload_output(&client, &path, strategy).await;
        assert_no_key(
            &secret,
            &format!("the output of a {strategy:?} upload"),
            &shown,
        );
    }
    let error = client.get_file("file_x").await.unwrap_err();
    assert_no_key(&secret, "a get_file error", &format!("{error} {error:?}"));

    // The profiles file names the server, never the key.
    let config_dir = tempfile::tempdir().unwrap();
    let profiles = ProfileStore::in_dir(config_dir.path());
    profiles
        .save(&Profile::new("work", server.base.as_str(), Some("default"), "up").unwrap())
        .unwrap();
    let text = std::fs::read_to_string(profiles.path()).expect("profiles.toml written");
    assert!(text.contains(server.base.as_str()), "{text}");
    assert_no_key(&secret, "profiles.toml", &text);
    for entry in std::fs::read_dir(config_dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert_no_key(
            &secret,
            &path.display().to_string(),
            &String::from_utf8_lossy(&bytes),
        );
    }
    assert!(store.delete("work").unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_echoing_the_request_in_its_error_page_does_not_leak_the_key() {
    require_session();
    let (store, _) = unique_store();
    let secret = random_key();
    store
        .store("work", &ApiKey::parse(&secret).unwrap())
        .unwrap();
    let key = store.load_async("work").await.unwrap();

    // A misconfigured proxy whose 400 page quotes the request it refused, headers included.
    let echo = FakeHttp::start(|request, _| {
        let quoted: Vec<String> = request
            .headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}"))
            .collect();
        let page = format!(
            "Bad request {} {}\n{}",
            request.method,
            request.target,
            quoted.join("\n")
        );
        response("400 Bad Request", &["Content-Type: text/plain"], &page)
    })
    .await;
    let endpoint = Url::parse(echo.url("").as_str()).unwrap();
    let client = UploadClient::new(&endpoint, key, small_config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "file.bin", 10_000, 32);
    let mut leaks = Vec::new();
    for strategy in STRATEGIES {
        let (error, shown) = failing_upload_output(&client, &path, strategy).await;
        assert_eq!(error.code(), "invalid_request", "{strategy:?}: {error}");
        assert!(
            error.to_string().contains("400"),
            "{strategy:?}: the error still says what the server answered: {error}"
        );
        if shown.contains(&secret) {
            leaks.push(format!("{strategy:?}: {error}"));
        }
    }
    let with_key = echo
        .requests()
        .iter()
        .filter(|r| {
            r.header("authorization")
                .is_some_and(|v| v.contains(&secret))
        })
        .count();
    assert!(store.delete("work").unwrap());
    assert!(
        with_key > 0,
        "the key was sent (so the server could echo it)"
    );
    assert!(
        leaks.is_empty(),
        "the API key appears in errors and events built from the server's answer:\n{}",
        leaks.join("\n")
    );
}
