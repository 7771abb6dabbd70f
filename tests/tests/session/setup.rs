//! First run and preferences: setup is needed until the default profile has a key; the key goes
//! to the Secret Service and nowhere else, garbage is refused without being repeated, a wrong key
//! fails the connection test; bad settings change nothing and good ones survive a restart.

use std::path::Path;

use mediasaur::settings::{AutoCopy, Settings, SettingsStore, Theme};
use mediasaur::transfers::DuplicatePolicy;
use mediasaur::ClientError;
use mediasaur_e2e::{random_hex, secret_tool_lookup};

use crate::support::*;

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_is_needed_until_a_key_is_stored_in_the_secret_service_and_nowhere_else() {
    let h = Harness::bare().await;
    let status = h.session.status("9.9.9").await.expect("status");
    assert!(status.needs_setup, "{status:?}");
    assert_eq!(status.version, "9.9.9");
    assert_eq!(status.default_profile, None);
    assert!(h.session.profiles().await.unwrap().is_empty());

    let view = h.session.save_profile(h.profile_input()).await.unwrap();
    assert_eq!(view.name, PROFILE);
    assert_eq!(view.bucket.as_deref(), Some(BUCKET));
    assert!(view.is_default && !view.has_key, "{view:?}");
    let status = h.session.status("9.9.9").await.unwrap();
    assert!(status.needs_setup, "a profile without a key: {status:?}");
    assert_eq!(status.default_profile.as_deref(), Some(PROFILE));

    // Garbage is refused with a code, and the message repeats none of it.
    let tail = random_hex();
    for garbage in [
        "not-a-key".to_owned(),
        format!("sk_{}\n{}", &tail[..12], &tail[12..]),
        format!("sk_{tail} trailing-words"),
    ] {
        let error = error_with(
            h.session.set_api_key(PROFILE, garbage.clone().into()).await,
            "unauthorized",
        );
        let shown = format!("{error} {error:?}");
        for part in garbage.split(['\n', ' ']) {
            assert!(!shown.contains(part), "{garbage:?} is repeated in: {shown}");
        }
    }
    assert_eq!(secret_tool_lookup(&h.service, PROFILE), None);
    assert!(!h.session.profile(PROFILE).await.unwrap().has_key);
    // A key for a profile that does not exist is refused and stored nowhere.
    let ghost = h
        .session
        .set_api_key("ghost", h.server.api_key.clone().into())
        .await;
    assert!(ghost.is_err(), "{ghost:?}");
    assert_eq!(secret_tool_lookup(&h.service, "ghost"), None);

    // The real key: stored in the Secret Service, with surrounding whitespace trimmed.
    let key = h.server.api_key.clone();
    let view = h
        .session
        .set_api_key(PROFILE, format!("  {key}\n").into())
        .await
        .expect("store the key");
    assert!(view.has_key, "{view:?}");
    let profiles = h.session.profiles().await.unwrap();
    assert_eq!(profiles.len(), 1);
    assert!(
        profiles[0].has_key && profiles[0].is_default,
        "{profiles:?}"
    );
    let status = h.session.status("9.9.9").await.unwrap();
    assert!(!status.needs_setup, "{status:?}");
    assert_eq!(status.local_server, None, "only offered during setup");
    assert_eq!(
        secret_tool_lookup(&h.service, PROFILE).as_deref(),
        Some(key.as_str())
    );

    let check = h
        .session
        .test_profile(PROFILE)
        .await
        .expect("test the profile");
    assert_eq!(
        check.endpoint.trim_end_matches('/'),
        h.server.base.as_str().trim_end_matches('/')
    );
    assert!(check.latency_ms > 0.0, "{check:?}");

    // Neither the config dir nor the data dir holds the key (nor its part after `sk_`).
    let body = key.trim_start_matches("sk_");
    for dir in [h.config_dir(), h.data_dir()] {
        assert!(dir.exists(), "{} was created", dir.display());
        let leaks = files_containing(&dir, body);
        assert!(leaks.is_empty(), "the API key is written to {leaks:?}");
    }

    // A well-formed key the server does not know (a revoked one) fails the test as unauthorized.
    let wrong = format!("sk_test{}", random_hex());
    h.session
        .set_api_key(PROFILE, wrong.clone().into())
        .await
        .expect("a well-formed key is stored");
    assert_eq!(
        secret_tool_lookup(&h.service, PROFILE).as_deref(),
        Some(wrong.as_str())
    );
    let error = error_with(h.session.test_profile(PROFILE).await, "unauthorized");
    assert!(
        matches!(error, ClientError::Api { status: 401, .. }),
        "the server refused it: {error:?}"
    );
    assert!(!format!("{error} {error:?}").contains(&wrong[3..]));

    // Removing the profile forgets its key; setup is needed again.
    h.session.remove_profile(PROFILE).await.expect("remove");
    assert_eq!(secret_tool_lookup(&h.service, PROFILE), None);
    assert!(h.session.status("9.9.9").await.unwrap().needs_setup);
    error_with(h.session.remove_profile(PROFILE).await, "not_found");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_change_nothing_and_good_ones_survive_a_restart() {
    let mut h = Harness::new().await;
    let before = h.session.settings();
    assert_eq!(before, Settings::default());
    for bad in [
        Settings {
            concurrency: 0,
            ..before.clone()
        },
        Settings {
            chunk_size: 1000,
            ..before.clone()
        },
        Settings {
            default_link_expiry: 0,
            ..before.clone()
        },
    ] {
        error_with(h.session.save_settings(bad).await, "invalid_request");
        assert_eq!(h.session.settings(), before);
    }
    assert!(!h.config_dir().join("settings.toml").exists());

    let wanted = Settings {
        concurrency: 2,
        bandwidth_limit: Some(5_000_000),
        chunk_size: 2 * MIB as u64,
        default_link_expiry: 7200,
        auto_copy: AutoCopy::SignedLink,
        notifications: false,
        start_at_login: true,
        theme: Theme::Dark,
        duplicates: DuplicatePolicy::Never,
    };
    let saved = h.session.save_settings(wanted.clone()).await.unwrap();
    assert_eq!(saved, wanted);
    assert_eq!(h.session.settings(), wanted);
    assert_eq!(
        SettingsStore::in_dir(&h.config_dir()).load().unwrap(),
        wanted
    );

    // The runner restarted with the new limits and still uploads.
    let (path, bytes) = h.write_random("after-settings.bin", 100_000, 9);
    assert_eq!(h.add(&[&path], "settings").await.queued, 1);
    let (_, file) = h.done_at("settings/after-settings.bin").await;
    assert_eq!(file.filesize, bytes.len() as u64);

    h.reopen().await;
    assert_eq!(h.session.settings(), wanted, "read back by a new session");
    // Still invalid after the restart: nothing changes.
    error_with(
        h.session
            .save_settings(Settings {
                concurrency: 17,
                ..wanted.clone()
            })
            .await,
        "invalid_request",
    );
    assert_eq!(h.session.settings(), wanted);
    h.shutdown().await;
}
