//! `history search|export|get` and `share`: the local history of uploads searched and exported, and
//! share links that download the file from the real server.

use mediasaur::api::FileObject;
use mediasaur::store::history::NewHistoryEntry;
use mediasaur::store::Database;
use mediasaur_e2e::api_client::{png, Api};
use mediasaur_e2e::{test_bytes, TestServer};
use serde_json::Value;

use crate::support::*;

/// Records uploads in the CLI user's local database as a finished upload would, verified.
async fn seed_history(cli: &Cli, files: &[FileObject]) {
    let db = Database::open_in(cli.data_dir())
        .await
        .expect("the database");
    for file in files {
        db.record_upload(&NewHistoryEntry {
            profile: "default".into(),
            source: None,
            sha256: file.sha256.clone(),
            file: file.clone(),
        })
        .await
        .expect("record an upload");
    }
    db.close().await;
}

fn file_ids(run: &Run) -> Vec<String> {
    run.json_lines()
        .iter()
        .map(|entry| text(&entry["file"], "id").to_owned())
        .collect()
}

/// The cursor announced on stderr as `more: --cursor C`.
fn more_cursor(run: &Run) -> Option<String> {
    run.messages()
        .iter()
        .find_map(|line| line.strip_prefix("more: --cursor "))
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_searched_and_exported_with_filters() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    // Oldest first: the history lists them newest first.
    let files = [
        api.upload_with_key("default", "album/trip/paris-eiffel.png", &png(3200, 4))
            .await,
        api.upload_with_key("default", "album/trip/paris-louvre.png", &png(64, 48))
            .await,
        api.upload_with_key("default", "album/notes/packing list.txt", b"socks\n")
            .await,
        api.upload_with_key("default", "album/notes/budget, final.txt", b"1,2\n")
            .await,
    ];
    let [eiffel, louvre, packing, budget] = [0, 1, 2, 3].map(|i| files[i].id.as_str());
    seed_history(&cli, &files).await;

    let paris = cli.run(["history", "search", "paris", "--json"]).await;
    assert_eq!(file_ids(paris.success()), [louvre, eiffel], "{paris}");
    let entry = &paris.json_lines()[1];
    assert_eq!(entry["file"]["width"], 3200, "{paris}");
    assert_eq!(entry["verified"], true, "{paris}");
    assert_eq!(entry["profile"], "default", "{paris}");

    let searches: [(&[&str], Vec<&str>); 8] = [
        (&["--kind", "image", "--min-width", "3000"], vec![eiffel]),
        (&["--type", "text/"], vec![budget, packing]),
        (&["--type", "image/png", "louvre"], vec![louvre]),
        (&["packing", "list"], vec![packing]),
        (&["PAR", "eif"], vec![eiffel]),
        (
            &["--since", "2000-01-01", "--until", "2999-12-31"],
            vec![budget, packing, louvre, eiffel],
        ),
        (&["--until", "2000-01-01T00:00:00Z"], vec![]),
        (&["--from-profile", "someone-else"], vec![]),
    ];
    for (filters, expected) in searches {
        let mut args = vec!["history", "search", "--json"];
        args.extend_from_slice(filters);
        let run = cli.run(&args).await;
        assert_eq!(file_ids(run.success()), expected, "{run}");
    }

    // People get one line per upload: date, kind, shape, size, path, id, a check mark.
    let table = cli.run(["history", "search", "paris"]).await;
    let lines = table.success().lines();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("UPLOADED"), "{table}");
    let eiffel_line = lines[2];
    for part in [
        "image",
        "3200x4",
        "default/album/trip/paris-eiffel.png",
        eiffel,
        "✓",
    ] {
        assert!(eiffel_line.contains(part), "{part:?} in {eiffel_line:?}");
    }
    let nothing = cli.run(["history", "search", "zanzibar"]).await;
    assert!(nothing.success().stdout.is_empty(), "{nothing}");
    assert_eq!(nothing.last_message(), "no uploads found", "{nothing}");

    // Pages: the cursor comes on stderr and continues where the page ended.
    let first = cli
        .run(["history", "search", "--json", "--limit", "3"])
        .await;
    assert_eq!(
        file_ids(first.success()),
        [budget, packing, louvre],
        "{first}"
    );
    let cursor = more_cursor(&first).unwrap_or_else(|| panic!("no cursor:\n{first}"));
    let second = cli
        .run([
            "history", "search", "--json", "--limit", "3", "--cursor", &cursor,
        ])
        .await;
    assert_eq!(file_ids(second.success()), [eiffel], "{second}");
    assert_eq!(more_cursor(&second), None, "{second}");

    // Export: CSV with a header and quoted awkward names, JSON to a file.
    let csv = cli.run(["history", "export", "--format", "csv"]).await;
    let lines = csv.success().lines();
    assert_eq!(lines.len(), 5, "{csv}");
    assert_eq!(
        lines[0],
        "id,file_id,profile,bucket,path,name,kind,type,size,width,height,duration,url,sha256,\
         verified,source,uploaded_at,share_links"
    );
    assert!(
        lines[1].contains(&format!(
            "{budget},default,default,\"album/notes/budget, final.txt\",\"budget, final.txt\",{},",
            files[3].kind.as_str()
        )),
        "{csv}"
    );
    let images = cli
        .run(["history", "export", "--format", "csv", "--kind", "image"])
        .await;
    assert_eq!(images.success().lines().len(), 3, "{images}");

    let out = tempfile::tempdir().expect("temp dir");
    let target = out.path().join("history.json");
    let exported = cli
        .run([
            "history",
            "export",
            "--format",
            "json",
            "--output",
            arg(&target),
            "list",
        ])
        .await;
    assert!(exported.success().stdout.is_empty(), "{exported}");
    assert_eq!(
        exported.last_message(),
        format!("exported 1 entries to {}", target.display())
    );
    let written: Value =
        serde_json::from_slice(&std::fs::read(&target).expect("the export")).expect("JSON");
    let entries = written.as_array().expect("an array");
    assert_eq!(entries.len(), 1, "{written}");
    assert_eq!(text(&entries[0]["file"], "id"), packing);
    assert_eq!(entries[0]["share_links"], Value::Array(Vec::new()));

    // Refused input: clear errors with codes, or usage errors.
    cli.run(["history", "search", "--min-width", "5", "--max-width", "1"])
        .await
        .error("invalid_request");
    cli.run(["history", "search", "--cursor", "not-a-cursor"])
        .await
        .error("invalid_request");
    cli.run(["history", "get", "file_doesnotexist0000000"])
        .await
        .error("not_found");
    for bad in [
        &["history", "search", "--since", "yesterday"][..],
        &["history", "search", "--kind", "photo"],
        &["history", "search", "--limit", "0"],
        &["history", "export", "--format", "xml"],
    ] {
        let run = cli.run(bad).await;
        assert_eq!(run.code, Some(2), "a usage error:\n{run}");
        assert!(run.stderr.contains("error: "), "{run}");
    }

    cli.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_links_download_the_file_and_are_remembered() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    let bytes = test_bytes(70_000, 11);
    // Uploaded without the CLI: not in the local history yet.
    let file = api
        .upload_with_key("default", "shared/report final.bin", &bytes)
        .await;

    let run = cli
        .run(["share", &file.id, "--expires-in", "1h", "--json"])
        .await;
    let shared = run.success().json();
    assert_eq!(text(&shared, "file_id"), file.id, "{run}");
    let url = text(&shared, "url").to_owned();
    let expires_at = chrono::DateTime::parse_from_rfc3339(text(&shared, "expires_at"))
        .unwrap_or_else(|e| panic!("expires_at is not RFC 3339 ({e}):\n{run}"));
    let lifetime = expires_at.to_utc() - chrono::Utc::now();
    assert!(
        (50..=61).contains(&lifetime.num_minutes()),
        "about an hour: {lifetime}"
    );
    let download = api.get_url(&url).await;
    assert_eq!(download.status.as_u16(), 200, "{download}");
    assert_eq!(download.body, bytes, "the link serves the file");

    // Plain output is the URL alone (valid for a day by default).
    let plain = cli.run(["share", &file.id]).await;
    let lines = plain.success().lines();
    assert_eq!(lines.len(), 1, "{plain}");
    assert_eq!(api.get_url(lines[0]).await.body, bytes);

    // The file is in the history now, as not verified (its bytes were never read here), with both
    // links.
    let got = cli.run(["history", "get", &file.id, "--json"]).await;
    let entry = got.success().json();
    assert_eq!(entry["verified"], false, "{got}");
    assert_eq!(entry["file"]["path"], "shared/report final.bin", "{got}");
    let links = entry["share_links"].as_array().expect("share_links");
    assert_eq!(links.len(), 2, "{got}");
    assert_eq!(links[0]["url"], url.as_str());
    assert_eq!(links[1]["url"], lines[0]);
    let found = cli
        .run(["history", "search", "report", "--unverified", "--json"])
        .await;
    assert_eq!(file_ids(found.success()), [file.id.as_str()], "{found}");
    let csv = cli.run(["history", "export", "--format", "csv"]).await;
    assert!(
        csv.success()
            .stdout
            .contains(&format!("{url};{}", lines[0])),
        "{csv}"
    );
    let details = cli.run(["history", "get", &file.id]).await;
    assert_eq!(
        details
            .success()
            .lines()
            .iter()
            .filter(|line| line.starts_with("shared"))
            .count(),
        2,
        "{details}"
    );

    // Bad lifetimes are usage errors that say what is expected; unknown files are not_found.
    for (bad, says) in [
        ("0", "at least 1s"),
        ("0s", "at least 1s"),
        ("abc", "is not a duration"),
        ("1w", "is not a duration"),
        ("400d", "at most 365d"),
    ] {
        let run = cli.run(["share", &file.id, "--expires-in", bad]).await;
        assert_eq!(run.code, Some(2), "a usage error:\n{run}");
        assert!(run.stderr.contains(says), "{says:?}:\n{run}");
    }
    cli.run(["share", "file_0000000000000000000000"])
        .await
        .error("not_found");

    cli.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_needs_no_login() {
    let cli = Cli::new();
    let run = cli.run(["history", "search", "--json"]).await;
    assert!(run.success().stdout.is_empty(), "{run}");
    let export = cli.run(["history", "export", "--format", "json"]).await;
    let parsed: Value = serde_json::from_str(&export.success().stdout).expect("JSON");
    assert_eq!(parsed, Value::Array(Vec::new()));
}
