//! `files list|get|delete`: the File objects the server holds, page by page, one by one.

use mediasaur_e2e::TestServer;
use serde_json::Value;

use crate::support::*;

fn paths(list: &Value) -> Vec<String> {
    list["files"]
        .as_array()
        .unwrap_or_else(|| panic!("no files in {list}"))
        .iter()
        .map(|file| text(file, "path").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_listed_shown_and_deleted() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.txt", "b.txt", "c.txt"] {
        write(dir.path(), &format!("docs/{name}"), name.as_bytes());
    }
    let docs = dir.path().join("docs");
    let uploaded = cli.run(["upload", "--json", arg(&docs)]).await;
    let mut uploaded = uploaded.success().json_lines();
    uploaded.sort_by(|a, b| text(a, "path").cmp(text(b, "path")));

    let all = cli.run(["files", "list", "--json"]).await;
    let list = all.success().json();
    assert_eq!(list["files"], Value::Array(uploaded.clone()), "{all}");
    assert!(list["next_cursor"].is_null(), "{all}");

    // Pages: one file and a cursor, or every page with --all.
    let first = cli.run(["files", "list", "--json", "--limit", "1"]).await;
    let page = first.success().json();
    assert_eq!(paths(&page), ["docs/a.txt"], "{first}");
    let cursor = text(&page, "next_cursor").to_owned();
    let second = cli
        .run([
            "files", "list", "--json", "--limit", "1", "--cursor", &cursor,
        ])
        .await;
    assert_eq!(paths(&second.success().json()), ["docs/b.txt"], "{second}");
    let every = cli
        .run(["files", "list", "--json", "--limit", "1", "--all"])
        .await;
    assert_eq!(
        paths(&every.success().json()),
        ["docs/a.txt", "docs/b.txt", "docs/c.txt"],
        "{every}"
    );
    let filtered = cli
        .run(["files", "list", "--json", "--prefix", "docs/b"])
        .await;
    assert_eq!(paths(&filtered.success().json()), ["docs/b.txt"]);

    // The table names every file.
    let table = cli.run(["files", "list"]).await;
    let rows = table.success().lines();
    assert_eq!(rows.len(), 4, "{table}");
    assert!(rows[0].starts_with("ID "), "{table}");
    for file in &uploaded {
        assert!(
            rows.iter().any(|row| row.starts_with(text(file, "id"))
                && row.ends_with(&format!("default/{}", text(file, "path")))),
            "{table}"
        );
    }

    let target = &uploaded[0];
    let id = text(target, "id");
    let got = cli.run(["files", "get", id, "--json"]).await;
    assert_eq!(&got.success().json(), target, "{got}");
    let details = cli.run(["files", "get", id]).await;
    let sha256 = text(target, "sha256");
    assert!(
        details.success().lines().iter().any(|line| line
            .strip_prefix("sha256 ")
            .is_some_and(|rest| rest.trim_start() == sha256)),
        "{details}"
    );

    let deleted = cli.run(["files", "delete", id]).await;
    assert_eq!(
        deleted.success().lines(),
        [format!("deleted {id} (default/docs/a.txt)")],
        "{deleted}"
    );
    cli.run(["files", "get", id, "--json"])
        .await
        .error("not_found");
    cli.run(["files", "delete", id]).await.error("not_found");
    let after = cli.run(["files", "list", "--json"]).await;
    assert_eq!(
        paths(&after.success().json()),
        ["docs/b.txt", "docs/c.txt"],
        "{after}"
    );

    cli.assert_no_leaks();
}
