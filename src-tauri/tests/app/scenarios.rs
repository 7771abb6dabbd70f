//! The scenarios of the first two tests: first run, a PNG upload and its history entry, a share
//! link, a paused and resumed large upload, and the screenshots of every view.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use mediasaur_e2e::api_client::png;
use mediasaur_e2e::{sha256_hex, TestServer};
use serde_json::{json, Value};
use tokio::runtime::Runtime;

use crate::desktop;
use crate::harness::{self, find_on_path, App};
use crate::page::*;
use crate::webdriver::{tid, wait_for, Probe};
use crate::{BUCKET, PHOTO, PROFILE, VIEWS};

/// A: the setup view, the local server offered, the key stored in the Secret Service and nowhere else.
pub(crate) fn first_run(app: &App, server: &TestServer) -> Result<()> {
    let s = &app.session;
    wait_for("the first-run setup view", Duration::from_secs(30), || {
        present(app, "setup-view")
    })?;

    s.by_testid("setup-use-local")?.click()?;
    let base = server.base.as_str().trim_end_matches('/').to_owned();
    let endpoint = s.by_testid("setup-endpoint")?;
    wait_for(
        "setup-use-local to fill in the local server",
        Duration::from_secs(5),
        || {
            let value = endpoint.property("value")?;
            let value = value.as_str().unwrap_or_default();
            Ok(if value.trim_end_matches('/') == base {
                Probe::Ready(())
            } else {
                Probe::Seen(format!("setup-endpoint = {value:?}, want {base:?}"))
            })
        },
    )?;

    let bucket = s.by_testid("setup-bucket")?;
    bucket.clear()?;
    bucket.send_keys(BUCKET)?;
    let key = s.by_testid("setup-key")?;
    ensure!(
        key.attribute("type")?.as_deref() == Some("password"),
        "setup-key is not a password input: type={:?}",
        key.attribute("type")?
    );
    key.send_keys(&server.api_key)?;
    s.by_testid("setup-submit")?.click()?;

    wait_for(
        "the queue view after setup",
        Duration::from_secs(20),
        || {
            if present_now(app, "view-queue")? {
                return Ok(Probe::Ready(()));
            }
            Ok(Probe::Seen(describe_page(app)?))
        },
    )?;

    // The key is in the Secret Service under the app's service, user = the profile name.
    let lookup = Command::new("secret-tool")
        .args(["lookup", "service", &app.service, "username", PROFILE])
        .output()
        .context("running secret-tool (scripts/test installs libsecret-tools)")?;
    let stored = String::from_utf8_lossy(&lookup.stdout);
    ensure!(
        lookup.status.success() && stored.trim_end() == server.api_key,
        "`secret-tool lookup service {} username {PROFILE}` did not print the API key \
         ({}, {} bytes on stdout, stderr: {})",
        app.service,
        lookup.status,
        stored.len(),
        String::from_utf8_lossy(&lookup.stderr)
    );

    // …and nowhere in the page: not in the markup, not in any field's value.
    let page = s.execute(
        "return { html: document.documentElement.outerHTML, \
         values: [...document.querySelectorAll('input, textarea')].map(e => e.value) };",
        vec![],
    )?;
    let html = page["html"].as_str().unwrap_or_default();
    ensure!(!html.is_empty(), "could not read the page's markup: {page}");
    ensure!(
        !html.contains(&server.api_key),
        "the API key is in the DOM (document.documentElement.outerHTML)"
    );
    let values = page["values"].as_array().cloned().unwrap_or_default();
    ensure!(
        !values
            .iter()
            .any(|v| v.as_str().unwrap_or_default().contains(&server.api_key)),
        "an input still holds the API key after setup"
    );

    // …and in no file the app wrote: profiles, settings, database, WebKit storage, logs.
    let leaked = app.files_containing(server.api_key.as_bytes())?;
    ensure!(
        leaked.is_empty(),
        "the API key is in these files: {leaked:?}"
    );
    Ok(())
}

/// B: a 640×480 PNG dropped onto the queue is uploaded, and the history shows it verified.
pub(crate) fn upload_png(app: &App, work: &Path) -> Result<UploadedPng> {
    let name = PHOTO;
    let path = work.join(name);
    let bytes = png(640, 480);
    std::fs::write(&path, &bytes)?;

    navigate(app, "queue")?;
    let report = drop_paths(app, &[&path])?;
    ensure!(
        report["queued"] == json!(1),
        "the drop did not queue one file: {report}"
    );
    let row = wait_for_row(app, name, "done", Duration::from_secs(30))?;
    ensure!(
        row.percent == "100",
        "done but at {}%: {row:?}",
        row.percent
    );

    navigate(app, "history")?;
    let item = wait_for(
        "the PNG's history item, 640×480 and verified",
        Duration::from_secs(15),
        || {
            let items = history_items(app)?;
            let item = items.iter().find(|i| i.name.contains(name));
            Ok(match item {
                Some(i) if i.dimensions.as_deref() == Some("640×480") && i.verified => {
                    Probe::Ready(i.clone())
                }
                _ => Probe::Seen(format!("history items: {items:?}")),
            })
        },
    )?;
    // As rendered (W3C element text), not only in the markup.
    let shown = app
        .session
        .find(&format!(
            "{}[data-history-id=\"{}\"]",
            tid("history-item"),
            item.id
        ))?
        .by_testid("history-dimensions")?
        .text()?;
    ensure!(
        shown == "640×480",
        "history-dimensions renders as {shown:?}, not 640×480"
    );
    desktop::thumbnail_loads(app, &item.id)?;
    Ok(UploadedPng { bytes, item })
}

/// C: a 1-hour share link, copied, serves exactly the PNG's bytes.
pub(crate) fn share(app: &App, rt: &Runtime, png: &UploadedPng) -> Result<()> {
    let s = &app.session;
    navigate(app, "history")?;
    let before = copied_text(app)?;
    let item = s.find(&format!(
        "{}[data-history-id=\"{}\"]",
        tid("history-item"),
        png.item.id
    ))?;
    item.by_testid("history-share")?.click()?;
    let preset = wait_for(
        "the share expiry chooser (share-preset-1h)",
        Duration::from_secs(5),
        || {
            let inside = item.find_all(&tid("share-preset-1h"))?;
            let anywhere = s.find_all(&tid("share-preset-1h"))?;
            Ok(match inside.into_iter().chain(anywhere).next() {
                Some(element) => Probe::Ready(element),
                None => Probe::Seen("no share-preset-1h".into()),
            })
        },
    )?;
    preset.click()?;

    let url = wait_for(
        "the share link in copied-text",
        Duration::from_secs(10),
        || {
            let now = copied_text(app)?;
            Ok(match now {
                Some(text) if Some(&text) != before.as_ref() && text.starts_with("http") => {
                    Probe::Ready(text)
                }
                other => Probe::Seen(format!("copied-text = {other:?}; {}", describe_page(app)?)),
            })
        },
    )?;

    let (status, body) = rt.block_on(async {
        let response = reqwest::get(&url).await?;
        let status = response.status();
        anyhow::Ok((status, response.bytes().await?))
    })?;
    ensure!(
        status == reqwest::StatusCode::OK,
        "GET {url} answered {status}: {}",
        String::from_utf8_lossy(&body[..body.len().min(500)])
    );
    ensure!(
        body.as_ref() == png.bytes.as_slice(),
        "GET {url} served {} bytes that are not the PNG's {} bytes",
        body.len(),
        png.bytes.len()
    );

    if find_on_path("xclip").is_some() {
        let clip = Command::new("xclip")
            .args(["-o", "-selection", "clipboard"])
            .env("DISPLAY", &app.display)
            .output()
            .context("running xclip")?;
        let text = String::from_utf8_lossy(&clip.stdout);
        ensure!(
            clip.status.success() && text.trim_end() == url,
            "the clipboard holds {text:?}, not the share link {url:?} (xclip: {}, {})",
            clip.status,
            String::from_utf8_lossy(&clip.stderr)
        );
    } else {
        eprintln!(
            "xclip not found: the clipboard itself was not checked (scripts/test installs it)"
        );
    }
    Ok(())
}

/// D: with a 3 MiB/s limit and 1 MiB chunks, a 64 MiB upload pauses (progress stops, what the
/// server acknowledged is kept), resumes from there, and arrives intact.
pub(crate) fn pause_and_resume(
    app: &App,
    rt: &Runtime,
    server: &TestServer,
    work: &Path,
) -> Result<()> {
    const SIZE: usize = 64 * 1024 * 1024;
    // 3 MiB/s: 64 MiB take about 21 s, time enough to pause and look. 1 MiB chunks: a pause keeps
    // every chunk the server acknowledged (an interrupted chunk is discarded, as its checksum cannot
    // match), so resuming visibly continues instead of starting over.
    set_upload_settings(app, 3, 1)?;

    let name = "e2e-large-64MiB.bin";
    let path = work.join(name);
    let bytes = random_bytes(SIZE)?;
    let local_sha = sha256_hex(&bytes);
    std::fs::write(&path, &bytes)?;
    drop(bytes);

    navigate(app, "queue")?;
    let report = drop_paths(app, &[&path])?;
    ensure!(
        report["queued"] == json!(1),
        "the drop did not queue the large file: {report}"
    );
    let running = wait_for(
        "the large upload to run past 5%",
        Duration::from_secs(60),
        || {
            let row = row_named(app, name)?;
            Ok(match row {
                Some(r) if r.state == "running" && r.percent_value() >= 5 => Probe::Ready(r),
                Some(r) if r.state == "done" => bail!(
                    "the large upload finished before it could be paused: is the bandwidth limit \
                     applied? {r:?}"
                ),
                other => Probe::Seen(format!("{other:?}")),
            })
        },
    )?;
    ensure!(
        running.percent_value() < 60,
        "the upload is already at {}%: too fast to pause (bandwidth limit not applied?)",
        running.percent
    );

    row_element(app, &running.id)?
        .by_testid("transfer-pause")?
        .click()?;
    let paused = wait_for_row(app, name, "paused", Duration::from_secs(10))?;
    ensure!(
        paused.percent_value() > 0 && paused.percent_value() < 100,
        "paused at {}% after running at {}%: the acknowledged chunks should count ({paused:?})",
        paused.percent,
        running.percent
    );
    // Progress stands still while paused.
    let held_since = Instant::now();
    while held_since.elapsed() < Duration::from_secs(2) {
        let now = row_named(app, name)?.ok_or_else(|| anyhow!("the paused row vanished"))?;
        ensure!(
            now.state == "paused" && now.percent == paused.percent,
            "progress moved while paused: {paused:?} became {now:?} after {:.1} s",
            held_since.elapsed().as_secs_f64()
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    row_element(app, &paused.id)?
        .by_testid("transfer-resume")?
        .click()?;
    let resumed_at = Instant::now();
    // Resuming continues from the server's offset: the percent never falls below the paused one.
    let mut lowest = paused.percent_value();
    let done = wait_for(
        &format!("the transfer-row of {name} to reach data-state=done after resuming"),
        Duration::from_secs(120),
        || {
            let row = row_named(app, name)?.ok_or_else(|| anyhow!("the row vanished"))?;
            if row.state == "running" {
                lowest = lowest.min(row.percent_value());
            }
            Ok(match row.state.as_str() {
                "done" => Probe::Ready(row),
                "failed" | "canceled" => bail!("the transfer ended {}: {row:?}", row.state),
                _ => Probe::Seen(format!("{row:?}")),
            })
        },
    )?;
    ensure!(
        done.percent == "100",
        "done but at {}%: {done:?}",
        done.percent
    );
    ensure!(
        lowest >= paused.percent_value(),
        "after resuming at {}% the progress fell to {lowest}%: the upload started over",
        paused.percent
    );
    eprintln!(
        "paused at {}% (running at {}%); finished {:.1} s after resuming",
        paused.percent,
        running.percent,
        resumed_at.elapsed().as_secs_f64(),
    );

    // The server holds exactly the local bytes.
    navigate(app, "history")?;
    let item = wait_for(
        "the large file's history item",
        Duration::from_secs(15),
        || {
            let items = history_items(app)?;
            Ok(match items.iter().find(|i| i.name.contains(name)) {
                Some(i) => Probe::Ready(i.clone()),
                None => Probe::Seen(format!("history items: {items:?}")),
            })
        },
    )?;
    let file_id = item
        .file_id
        .clone()
        .ok_or_else(|| anyhow!("the history item has no data-file-id: {item:?}"))?;
    let remote_sha = rt.block_on(async {
        let http = server.http();
        let meta: Value = http
            .get(server.url(&format!("/files/{file_id}")))
            .header("Authorization", server.bearer())
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let url = meta["data"]["url"]
            .as_str()
            .ok_or_else(|| anyhow!("GET /files/{file_id}: no data.url in {meta}"))?
            .to_owned();
        ensure!(
            meta["data"]["sha256"] == json!(local_sha),
            "the server's File has sha256 {}, the local file {local_sha}",
            meta["data"]["sha256"]
        );
        let body = http
            .get(&url)
            .header("Authorization", server.bearer())
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        anyhow::Ok(sha256_hex(&body))
    })?;
    ensure!(
        remote_sha == local_sha,
        "the downloaded file's SHA-256 {remote_sha} is not the local file's {local_sha}"
    );
    Ok(())
}

/// F: every view in the light and the dark theme, saved under screenshots/.
pub(crate) fn screenshots(app: &App) -> Result<()> {
    let mut shots: Vec<(String, String, PathBuf)> = Vec::new();
    for theme in ["light", "dark"] {
        navigate(app, "settings")?;
        let select = app.session.by_testid("settings-theme")?;
        choose_option(&select, theme)?;
        app.session.by_testid("settings-save")?.click()?;
        for view in VIEWS {
            navigate(app, view)?;
            wait_for(
                &format!("app-root data-theme={theme} on the {view} view"),
                Duration::from_secs(5),
                || {
                    let root = app.session.by_testid("app-root")?;
                    let current = root.attribute("data-theme")?;
                    Ok(if current.as_deref() == Some(theme) {
                        Probe::Ready(())
                    } else {
                        Probe::Seen(format!("data-theme={current:?}"))
                    })
                },
            )?;
            wait_for_paint(app)?;
            let path = app.screenshot(theme, view)?;
            shots.push((theme.to_owned(), view.to_owned(), path));
        }
    }
    for (theme, view, path) in &shots {
        let bytes = std::fs::read(path)?;
        ensure!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG",
            path.display()
        );
        ensure!(
            bytes.len() > 10 * 1024,
            "the {theme} screenshot of {view} is only {} bytes: {}",
            bytes.len(),
            path.display()
        );
    }
    for view in VIEWS {
        let shot = |theme: &str| {
            shots
                .iter()
                .find(|(t, v, _)| t == theme && v == view)
                .map(|(_, _, p)| std::fs::read(p))
                .expect("taken")
        };
        ensure!(
            shot("light")? != shot("dark")?,
            "the light and dark screenshots of {view} are identical"
        );
    }
    eprintln!(
        "screenshots: {}",
        harness::screenshots_dir()
            .canonicalize()
            .unwrap_or_else(|_| harness::screenshots_dir())
            .display()
    );
    Ok(())
}
