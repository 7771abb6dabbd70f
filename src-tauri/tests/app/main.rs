//! End-to-end tests of Mediasaur Desktop: the real app (debug build, real WebKit window on a private
//! Xvfb) driven over WebDriver (tauri-driver + WebKitWebDriver), against the real server
//! (`TestServer`) over loopback, with API keys in a real Secret Service.
//!
//! Run through scripts/test, or:
//! `source scripts/lib.sh && with_test_session cargo nextest run -p mediasaur-desktop --test app`

mod desktop;
mod harness;
mod tray;
mod webdriver;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use mediasaur_e2e::api_client::png;
use mediasaur_e2e::{sha256_hex, TestServer};
use serde_json::{json, Value};
use tokio::runtime::Runtime;

use harness::{find_on_path, App};
use webdriver::{is_missing, tid, wait_for, Element, Probe};

/// The views the navigation offers, in order.
const VIEWS: [&str; 5] = ["queue", "history", "requests", "watches", "settings"];

/// The profile the first-run setup creates.
const PROFILE: &str = "default";

/// Bytes in a MiB.
const MIB: u64 = 1024 * 1024;

/// The PNG the first test uploads (640×480), at the bucket's root.
const PHOTO: &str = "e2e-photo-640x480.png";

/// The bucket every fresh server data dir has.
const BUCKET: &str = "default";

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A through d and f share one app: first run, a PNG upload with its history entry, a share link, a
/// paused and resumed large upload, and screenshots of every view in both themes.
#[test]
fn first_run_upload_share_pause_resume_and_screenshots() -> Result<()> {
    let rt = runtime();
    let server = rt.block_on(TestServer::start());
    let app = App::launch(rt.handle(), server.base.as_str())?;
    let work = tempfile::tempdir()?;

    step(&app, "a-first-run", || first_run(&app, &server))?;
    let png = step(&app, "b-upload-png", || upload_png(&app, work.path()))?;
    step(&app, "c-share", || share(&app, &rt, &png))?;
    step(&app, "c-open-and-reveal", || {
        let url = format!(
            "{}/{BUCKET}/{PHOTO}",
            server.base.as_str().trim_end_matches('/')
        );
        let local = work.path().join(PHOTO);
        desktop::open_and_reveal(&app, &rt, &png.item.id, &local, &url)
    })?;
    step(&app, "d-pause-resume", || {
        pause_and_resume(&app, &rt, &server, work.path())
    })?;
    step(&app, "f-screenshots", || screenshots(&app))?;
    Ok(())
}

/// E: a second start of the app hands its file arguments to the running instance and exits; then,
/// in the same app, G: an image pasted from the clipboard, H: start at login, I: a click on the
/// batch notification.
#[test]
fn second_instance_then_clipboard_start_at_login_and_notification() -> Result<()> {
    let rt = runtime();
    let server = rt.block_on(TestServer::start());
    let app = App::launch(rt.handle(), server.base.as_str())?;
    let work = tempfile::tempdir()?;

    step(&app, "e-setup", || first_run(&app, &server))?;
    step(&app, "e-second-instance", || {
        let name = "handed-over-320x200.png";
        let path = work.path().join(name);
        std::fs::write(&path, png(320, 200))?;
        navigate(&app, "queue")?;

        let started = Instant::now();
        let mut second = app
            .second_instance()
            .arg(&path)
            .spawn()
            .context("starting a second instance")?;
        let status = wait_for(
            "the second instance to exit",
            Duration::from_secs(10),
            || {
                Ok(match second.try_wait()? {
                    Some(status) => Probe::Ready(status),
                    None => Probe::Seen(format!(
                        "still running after {:.1} s",
                        started.elapsed().as_secs_f64()
                    )),
                })
            },
        )
        .map_err(|e| {
            let _ = second.kill();
            let _ = second.wait();
            anyhow!("{e:#}\nits log:\n{}", app.second_instance_log())
        })?;
        ensure!(
            status.success(),
            "the second instance exited with {status}; its log:\n{}",
            app.second_instance_log()
        );
        eprintln!(
            "second instance exited in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        let row = wait_for_row(&app, name, "done", Duration::from_secs(30))?;
        ensure!(
            row.percent == "100",
            "done but at {}%: {row:?}",
            row.percent
        );
        Ok(())
    })?;
    step(&app, "g-paste-image", || {
        desktop::paste_image(&app, work.path())
    })?;
    step(&app, "h-start-at-login", || desktop::start_at_login(&app))?;
    step(&app, "i-notification-click", || {
        desktop::notification_click(&app, &rt, work.path())
    })
}

/// J: the tray as a desktop panel sees it: its status follows the queue, "Pause all" pauses a sending
/// upload, "Resume all" resumes it to the end.
#[test]
fn tray_menu_follows_the_queue_and_pauses_all() -> Result<()> {
    let rt = runtime();
    let server = rt.block_on(TestServer::start());
    // First, so the app finds a panel to register its tray icon with.
    let panel = tray::Panel::start(&rt)?;
    let app = App::launch(rt.handle(), server.base.as_str())?;
    let work = tempfile::tempdir()?;

    step(&app, "j-setup", || first_run(&app, &server))?;
    step(&app, "j-tray", || {
        let menu = panel.menu(&rt)?;
        menu.wait_for_label(&rt, "Idle")?;
        let labels: Vec<String> = menu.labels(&rt)?.into_iter().map(|(_, l)| l).collect();
        for want in ["Open Mediasaur", "Pause all", "Quit"] {
            ensure!(
                labels.iter().any(|l| l == want),
                "no {want:?} in the tray menu: {labels:?}"
            );
        }

        set_upload_settings(&app, 1, 1)?;
        let name = "tray-8m.bin";
        let path = work.path().join(name);
        std::fs::write(&path, random_bytes(8 * MIB as usize)?)?;
        navigate(&app, "queue")?;
        drop_paths(&app, &[&path])?;
        menu.wait_for_label(&rt, "Uploading 1 file at")?;

        menu.click(&rt, "Pause all")?;
        wait_for_row(&app, name, "paused", Duration::from_secs(20))?;
        menu.wait_for_label(&rt, "1 paused")?;
        menu.wait_for_label(&rt, "Resume all")?;

        menu.click(&rt, "Resume all")?;
        let row = wait_for_row(&app, name, "done", Duration::from_secs(60))?;
        ensure!(row.percent == "100", "{row:?}");
        menu.wait_for_label(&rt, "Idle")?;
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------------
// Scenarios

/// A: the setup view, the local server offered, the key stored in the Secret Service and nowhere else.
fn first_run(app: &App, server: &TestServer) -> Result<()> {
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
fn upload_png(app: &App, work: &Path) -> Result<UploadedPng> {
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
fn share(app: &App, rt: &Runtime, png: &UploadedPng) -> Result<()> {
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
fn pause_and_resume(app: &App, rt: &Runtime, server: &TestServer, work: &Path) -> Result<()> {
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
fn screenshots(app: &App) -> Result<()> {
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

// ---------------------------------------------------------------------------------------------------
// Page helpers

/// Runs one scenario step; on failure saves `screenshots/failures/<name>.png` and adds what the page
/// showed to the error.
fn step<T>(app: &App, name: &str, run: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = Instant::now();
    match run() {
        Ok(value) => {
            eprintln!(
                "step {name}: ok in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(value)
        }
        Err(error) => {
            let shot = match app.screenshot("failures", name) {
                Ok(path) => path.display().to_string(),
                Err(e) => format!("no screenshot: {e:#}"),
            };
            let screen = match app.screen_capture("failures", name) {
                Ok(path) => path.display().to_string(),
                Err(e) => format!("no screen capture: {e:#}"),
            };
            let page = describe_page(app).unwrap_or_else(|e| format!("(unreadable: {e:#})"));
            Err(error.context(format!(
                "step {name} failed after {:.1} s (WebDriver screenshot: {shot}; X screen: \
                 {screen}; page: {page})",
                started.elapsed().as_secs_f64()
            )))
        }
    }
}

/// Whether an element with this test id is on the page now.
fn present_now(app: &App, testid: &str) -> Result<bool> {
    Ok(!app.session.find_all(&tid(testid))?.is_empty())
}

/// A [`wait_for`] probe: ready when an element with this test id is on the page.
fn present(app: &App, testid: &str) -> Result<Probe<()>> {
    Ok(if present_now(app, testid)? {
        Probe::Ready(())
    } else {
        Probe::Seen(describe_page(app)?)
    })
}

/// The current view, any error messages and the start of the visible text: what a failure shows.
fn describe_page(app: &App) -> Result<String> {
    let value = app.session.execute(
        r#"
        const root = document.querySelector('[data-testid="app-root"]');
        const view = [...document.querySelectorAll('[data-testid^="view-"], [data-testid="setup-view"]')]
            .map(e => e.getAttribute('data-testid'));
        const errors = [...document.querySelectorAll('[data-testid="error-message"]')]
            .map(e => e.textContent.trim());
        const toasts = [...document.querySelectorAll('[data-testid="toast"]')]
            .map(e => e.textContent.trim());
        return {
            ready: root ? root.getAttribute('data-ready') : null,
            theme: root ? root.getAttribute('data-theme') : null,
            views: view, errors, toasts,
            text: (document.body ? document.body.innerText : '').replace(/\s+/g, ' ').slice(0, 600),
        };
        "#,
        vec![],
    )?;
    Ok(value.to_string())
}

/// Waits until the window has painted a frame after the latest DOM change (two animation frames),
/// so a screenshot shows the page as it is. WebKit on Xvfb paints nothing for the first seconds
/// after start-up (`requestAnimationFrame` does not fire), while the DOM is already live.
fn wait_for_paint(app: &App) -> Result<()> {
    app.session
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .context("waiting for the window to paint")
        .map(drop)
}

/// Clicks `nav-<view>` and waits for `view-<view>`.
fn navigate(app: &App, view: &str) -> Result<()> {
    app.session.by_testid(&format!("nav-{view}"))?.click()?;
    wait_for(&format!("the {view} view"), Duration::from_secs(10), || {
        present(app, &format!("view-{view}"))
    })
}

/// Picks the `<option value=…>` of a `<select>` by clicking it, as a user would.
fn choose_option(select: &Element, value: &str) -> Result<()> {
    let option = select
        .find(&format!("option[value=\"{value}\"]"))
        .with_context(|| format!("the select has no option {value:?}"))?;
    option.click()?;
    let now = select.property("value")?;
    ensure!(
        now == json!(value),
        "clicking option {value:?} left the select at {now}"
    );
    Ok(())
}

/// Drops `paths` through `window.__MEDIASAUR_E2E__.drop`, the native drop handler's own path; returns
/// the `AddReport`.
fn drop_paths(app: &App, paths: &[&Path]) -> Result<Value> {
    let paths: Vec<String> = paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let answer = app.session.execute_async(
        r#"
        const done = arguments[arguments.length - 1];
        const e2e = window.__MEDIASAUR_E2E__;
        if (!e2e || typeof e2e.drop !== 'function') {
            done({ error: 'window.__MEDIASAUR_E2E__.drop is missing' });
            return;
        }
        e2e.drop(arguments[0]).then(
            report => done({ report }),
            error => done({ error: (error && (error.message || JSON.stringify(error))) || String(error) }),
        );
        "#,
        vec![json!(paths)],
    )?;
    if let Some(error) = answer.get("error") {
        bail!("dropping {paths:?} failed: {error}");
    }
    let report = answer["report"].clone();
    let failures = report["failures"].as_array().map_or(0, Vec::len);
    ensure!(failures == 0, "the drop reported failures: {report}");
    Ok(report)
}

/// What a `transfer-row` shows.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    state: String,
    percent: String,
    name: String,
}

impl Row {
    fn percent_value(&self) -> u32 {
        self.percent.parse().unwrap_or(0)
    }
}

/// Every `transfer-row` on the page.
fn rows(app: &App) -> Result<Vec<Row>> {
    let value = app.session.execute(
        r#"
        return [...document.querySelectorAll('[data-testid="transfer-row"]')].map(r => ({
            id: r.getAttribute('data-transfer-id'),
            state: r.getAttribute('data-state'),
            percent: r.getAttribute('data-percent'),
            name: ((r.querySelector('[data-testid="transfer-name"]') || {}).textContent || '').trim(),
        }));
        "#,
        vec![],
    )?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    Ok(value
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| Row {
            id: text(&r["id"]),
            state: text(&r["state"]),
            percent: text(&r["percent"]),
            name: text(&r["name"]),
        })
        .collect())
}

/// The newest `transfer-row` whose name shows `name`.
fn row_named(app: &App, name: &str) -> Result<Option<Row>> {
    Ok(rows(app)?
        .into_iter()
        .filter(|r| r.name.contains(name))
        .max_by_key(|r| r.id.parse::<u64>().unwrap_or(0)))
}

/// Waits until the row of `name` is in `state`.
fn wait_for_row(app: &App, name: &str, state: &str, timeout: Duration) -> Result<Row> {
    wait_for(
        &format!("the transfer-row of {name} to reach data-state={state}"),
        timeout,
        || {
            let row = row_named(app, name)?;
            Ok(match row {
                Some(r) if r.state == state => Probe::Ready(r),
                Some(r) if r.state == "failed" || r.state == "canceled" => {
                    bail!(
                        "the transfer ended {}: {r:?}; {}",
                        r.state,
                        describe_page(app)?
                    )
                }
                Some(r) => Probe::Seen(format!("{r:?}")),
                None => Probe::Seen(format!("no row for {name}; rows: {:?}", rows(app)?)),
            })
        },
    )
}

/// The `transfer-row` element with this id.
fn row_element(app: &App, id: &str) -> Result<Element> {
    app.session
        .find(&format!(
            "{}[data-transfer-id=\"{id}\"]",
            tid("transfer-row")
        ))
        .with_context(|| format!("finding transfer-row {id}"))
}

/// What a `history-item` shows.
#[derive(Debug, Clone)]
struct HistoryItem {
    id: String,
    file_id: Option<String>,
    name: String,
    dimensions: Option<String>,
    verified: bool,
}

/// Every `history-item` on the page.
fn history_items(app: &App) -> Result<Vec<HistoryItem>> {
    let value = app.session.execute(
        r#"
        const text = (item, id) => {
            const e = item.querySelector(`[data-testid="${id}"]`);
            return e ? e.textContent.trim() : null;
        };
        return [...document.querySelectorAll('[data-testid="history-item"]')].map(i => ({
            id: i.getAttribute('data-history-id'),
            file_id: i.getAttribute('data-file-id'),
            name: text(i, 'history-name'),
            dimensions: text(i, 'history-dimensions'),
            verified: !!i.querySelector('[data-testid="history-verified"]'),
        }));
        "#,
        vec![],
    )?;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    Ok(value
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|i| HistoryItem {
            id: text(&i["id"]).unwrap_or_default(),
            file_id: text(&i["file_id"]),
            name: text(&i["name"]).unwrap_or_default(),
            dimensions: text(&i["dimensions"]),
            verified: i["verified"].as_bool().unwrap_or(false),
        })
        .collect())
}

/// The PNG uploaded in step B and its history item.
#[derive(Debug)]
struct UploadedPng {
    bytes: Vec<u8>,
    item: HistoryItem,
}

/// The text of `copied-text` (the last thing the UI copied), if the element exists.
fn copied_text(app: &App) -> Result<Option<String>> {
    match app.session.find(&tid("copied-text")) {
        Ok(element) => Ok(element
            .property("textContent")?
            .as_str()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())),
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sets Settings → bandwidth limit and chunk size (both in MiB: each field has a unit select beside
/// it, `settings-bandwidth-unit` KiB/s|MiB/s and `settings-chunk-unit` KiB|MiB), saves, and waits
/// for settings.toml in the config dir to hold them.
fn set_upload_settings(app: &App, bandwidth_mib_s: u64, chunk_mib: u64) -> Result<()> {
    navigate(app, "settings")?;
    let s = &app.session;
    let bandwidth = s.by_testid("settings-bandwidth")?;
    bandwidth.clear()?;
    bandwidth.send_keys(&bandwidth_mib_s.to_string())?;
    choose_option(&s.by_testid("settings-bandwidth-unit")?, "MiB/s")?;
    let chunk = s.by_testid("settings-chunk-size")?;
    chunk.clear()?;
    chunk.send_keys(&chunk_mib.to_string())?;
    choose_option(&s.by_testid("settings-chunk-unit")?, "MiB")?;
    s.by_testid("settings-save")?.click()?;

    let want = [
        ("bandwidth_limit", bandwidth_mib_s * MIB),
        ("chunk_size", chunk_mib * MIB),
    ];
    let settings = app.config_dir.path().join("settings.toml");
    wait_for(
        &format!("{want:?} in settings.toml"),
        Duration::from_secs(10),
        || {
            let text = std::fs::read_to_string(&settings).unwrap_or_default();
            let value = |key: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(key))
                    .and_then(|rest| {
                        rest.trim_start_matches([' ', '='])
                            .trim()
                            .parse::<u64>()
                            .ok()
                    })
            };
            Ok(if want.iter().all(|(key, v)| value(key) == Some(*v)) {
                Probe::Ready(())
            } else {
                Probe::Seen(format!("settings.toml: {text:?}; {}", describe_page(app)?))
            })
        },
    )
}

/// `len` bytes from the OS's random source.
fn random_bytes(len: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(len);
    std::fs::File::open("/dev/urandom")?
        .take(len as u64)
        .read_to_end(&mut bytes)?;
    ensure!(bytes.len() == len, "short read from /dev/urandom");
    Ok(bytes)
}
