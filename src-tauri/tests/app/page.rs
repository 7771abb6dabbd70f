//! What the tests read from and do to the page: steps with failure screenshots, views, drops,
//! queue rows, history items and settings.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};

use crate::harness::App;
use crate::webdriver::{is_missing, tid, wait_for, Element, Probe};
use crate::MIB;

/// Runs one scenario step; on failure saves `screenshots/failures/<name>.png` and adds what the page
/// showed to the error.
pub(crate) fn step<T>(app: &App, name: &str, run: impl FnOnce() -> Result<T>) -> Result<T> {
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
pub(crate) fn present_now(app: &App, testid: &str) -> Result<bool> {
    Ok(!app.session.find_all(&tid(testid))?.is_empty())
}

/// A [`wait_for`] probe: ready when an element with this test id is on the page.
pub(crate) fn present(app: &App, testid: &str) -> Result<Probe<()>> {
    Ok(if present_now(app, testid)? {
        Probe::Ready(())
    } else {
        Probe::Seen(describe_page(app)?)
    })
}

/// The current view, any error messages and the start of the visible text: what a failure shows.
pub(crate) fn describe_page(app: &App) -> Result<String> {
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
pub(crate) fn wait_for_paint(app: &App) -> Result<()> {
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
pub(crate) fn navigate(app: &App, view: &str) -> Result<()> {
    app.session.by_testid(&format!("nav-{view}"))?.click()?;
    wait_for(&format!("the {view} view"), Duration::from_secs(10), || {
        present(app, &format!("view-{view}"))
    })
}

/// Picks the `<option value=…>` of a `<select>` by clicking it, as a user would.
pub(crate) fn choose_option(select: &Element, value: &str) -> Result<()> {
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
pub(crate) fn drop_paths(app: &App, paths: &[&Path]) -> Result<Value> {
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
pub(crate) struct Row {
    pub(crate) id: String,
    pub(crate) state: String,
    pub(crate) percent: String,
    pub(crate) name: String,
}

impl Row {
    pub(crate) fn percent_value(&self) -> u32 {
        self.percent.parse().unwrap_or(0)
    }
}

/// Every `transfer-row` on the page.
pub(crate) fn rows(app: &App) -> Result<Vec<Row>> {
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
pub(crate) fn row_named(app: &App, name: &str) -> Result<Option<Row>> {
    Ok(rows(app)?
        .into_iter()
        .filter(|r| r.name.contains(name))
        .max_by_key(|r| r.id.parse::<u64>().unwrap_or(0)))
}

/// Waits until the row of `name` is in `state`.
pub(crate) fn wait_for_row(app: &App, name: &str, state: &str, timeout: Duration) -> Result<Row> {
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
pub(crate) fn row_element(app: &App, id: &str) -> Result<Element> {
    app.session
        .find(&format!(
            "{}[data-transfer-id=\"{id}\"]",
            tid("transfer-row")
        ))
        .with_context(|| format!("finding transfer-row {id}"))
}

/// What a `history-item` shows.
#[derive(Debug, Clone)]
pub(crate) struct HistoryItem {
    pub(crate) id: String,
    pub(crate) file_id: Option<String>,
    pub(crate) name: String,
    pub(crate) dimensions: Option<String>,
    pub(crate) verified: bool,
}

/// Every `history-item` on the page.
pub(crate) fn history_items(app: &App) -> Result<Vec<HistoryItem>> {
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
pub(crate) struct UploadedPng {
    pub(crate) bytes: Vec<u8>,
    pub(crate) item: HistoryItem,
}

/// The text of `copied-text` (the last thing the UI copied), if the element exists.
pub(crate) fn copied_text(app: &App) -> Result<Option<String>> {
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
pub(crate) fn set_upload_settings(app: &App, bandwidth_mib_s: u64, chunk_mib: u64) -> Result<()> {
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
pub(crate) fn random_bytes(len: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(len);
    std::fs::File::open("/dev/urandom")?
        .take(len as u64)
        .read_to_end(&mut bytes)?;
    ensure!(bytes.len() == len, "short read from /dev/urandom");
    Ok(bytes)
}
