//! Where the app meets the desktop: "start at login" writes and removes the XDG autostart entry, an
//! image on the X clipboard is pasted into the queue and uploaded, history thumbnails load through
//! the app's `thumb://` protocol inside the webview, and a click on the batch notification opens the
//! app at the history.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use mediasaur_e2e::api_client::png;
use serde_json::{json, Value};

use crate::harness::{find_on_path, App, APP_BINARY};
use crate::page::{drop_paths, navigate, present_now, wait_for_row};
use crate::webdriver::{tid, wait_for, Probe};
use tokio::runtime::Runtime;
use zbus::names::BusName;

/// Settings → "Start at login": saved on, the autostart entry starts this binary minimized to the
/// tray; saved off, the entry is gone.
pub fn start_at_login(app: &App) -> Result<()> {
    let entries = app.home().join(".config").join("autostart");
    ensure!(
        autostart_entries(&entries)?.is_empty(),
        "an autostart entry exists before the setting was turned on"
    );
    set_start_at_login(app, true)?;
    let entry = wait_for(
        "an autostart entry in $HOME/.config/autostart",
        Duration::from_secs(10),
        || {
            Ok(match autostart_entries(&entries)?.pop() {
                Some(text) => Probe::Ready(text),
                None => Probe::Seen(format!("nothing in {}", entries.display())),
            })
        },
    )?;
    let exec = entry
        .lines()
        .find_map(|line| line.strip_prefix("Exec="))
        .context("the autostart entry has no Exec line")?;
    ensure!(
        exec == format!("{APP_BINARY} --minimized"),
        "the autostart entry runs {exec:?}, not this binary with --minimized:\n{entry}"
    );

    set_start_at_login(app, false)?;
    wait_for(
        "the autostart entry to be removed",
        Duration::from_secs(10),
        || {
            let left = autostart_entries(&entries)?;
            Ok(if left.is_empty() {
                Probe::Ready(())
            } else {
                Probe::Seen(format!("still there: {left:?}"))
            })
        },
    )
}

fn set_start_at_login(app: &App, on: bool) -> Result<()> {
    navigate(app, "settings")?;
    let s = &app.session;
    let checkbox = s.by_testid("settings-autostart")?;
    if checkbox.property("checked")? != json!(on) {
        checkbox.click()?;
    }
    s.by_testid("settings-save")?.click()?;
    let settings = app.config_dir.path().join("settings.toml");
    let want = format!("start_at_login = {on}");
    wait_for(
        &format!("{want:?} in settings.toml"),
        Duration::from_secs(10),
        || {
            let text = std::fs::read_to_string(&settings).unwrap_or_default();
            Ok(if text.lines().any(|line| line.trim() == want) {
                Probe::Ready(())
            } else {
                Probe::Seen(format!("settings.toml: {text:?}"))
            })
        },
    )
}

/// The contents of every `.desktop` file in `dir` (none when it does not exist).
fn autostart_entries(dir: &Path) -> Result<Vec<String>> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut entries = Vec::new();
    for entry in read {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "desktop") {
            entries.push(std::fs::read_to_string(&path)?);
        }
    }
    Ok(entries)
}

/// A PNG put on the X clipboard (by xclip, as an image viewer's "copy" would) and pasted with the
/// queue's Paste button is saved as a PNG and uploaded.
pub fn paste_image(app: &App, work: &Path) -> Result<()> {
    ensure!(
        find_on_path("xclip").is_some(),
        "xclip not found (scripts/test installs it)"
    );
    let source = work.join("clipboard-200x150.png");
    std::fs::write(&source, png(200, 150))?;
    // xclip keeps serving the selection from the background until another owner takes it.
    let status = Command::new("xclip")
        .args(["-selection", "clipboard", "-t", "image/png", "-i"])
        .arg(&source)
        .env("DISPLAY", &app.display)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("running xclip")?;
    ensure!(status.success(), "xclip exited with {status}");

    navigate(app, "queue")?;
    app.session.by_testid("paste-clipboard")?.click()?;
    let row = wait_for_row(app, "Pasted image", "done", Duration::from_secs(30))?;
    ensure!(
        row.name.ends_with(".png") && row.percent == "100",
        "{row:?}"
    );
    Ok(())
}

/// The history item's thumbnail was loaded by the webview from `thumb://` (the local file), and
/// decoded to a picture with the source's 4:3 shape.
pub fn thumbnail_loads(app: &App, history_id: &str) -> Result<()> {
    let script = r#"
        const img = document.querySelector(
            `[data-testid="history-item"][data-history-id="${arguments[0]}"] img[data-testid="history-thumb"]`);
        return img ? [img.getAttribute('src'), img.complete, img.naturalWidth, img.naturalHeight] : null;
    "#;
    let (src, width, height) = wait_for(
        "the history thumbnail to load from thumb://",
        Duration::from_secs(10),
        || {
            let seen = app.session.execute(script, vec![json!(history_id)])?;
            let src = seen[0].as_str().unwrap_or_default().to_owned();
            let (width, height) = (seen[2].as_u64().unwrap_or(0), seen[3].as_u64().unwrap_or(0));
            Ok(if seen[1] == Value::Bool(true) && width > 0 {
                Probe::Ready((src, width, height))
            } else {
                Probe::Seen(format!("thumbnail: {seen}"))
            })
        },
    )?;
    ensure!(
        src.starts_with("thumb://"),
        "the thumbnail came from {src:?}, not the local file through thumb://"
    );
    ensure!(
        width * 3 == height * 4,
        "the thumbnail is {width}×{height}, not 4:3 like the 640×480 source"
    );
    Ok(())
}

/// A notification as the stand-in daemon received it.
#[derive(Debug, Clone)]
struct Shown {
    id: u32,
    summary: String,
    body: String,
    actions: Vec<String>,
}

/// Stands in for the desktop's notification daemon (`org.freedesktop.Notifications`) on the test's
/// private session bus, where no real one runs: it records what it is asked to show.
struct FakeNotifications {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeNotifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, zbus::OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().expect("shown");
        let id = u32::try_from(shown.len()).expect("few") + 1;
        shown.push(Shown {
            id,
            summary,
            body,
            actions,
        });
        id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "mediasaur-e2e".into(),
            "mediasaur".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

/// An upload's batch notification reads "1 file uploaded" and offers a default action; clicking it
/// (the daemon's `ActionInvoked`) shows the app at the history.
pub fn notification_click(app: &App, rt: &Runtime, work: &Path) -> Result<()> {
    const PATH: &str = "/org/freedesktop/Notifications";
    const INTERFACE: &str = "org.freedesktop.Notifications";
    let shown = Arc::new(Mutex::new(Vec::new()));
    let daemon = stand_in(
        rt,
        INTERFACE,
        PATH,
        FakeNotifications {
            shown: Arc::clone(&shown),
        },
    )?;

    let source = work.join("notified-64x48.png");
    std::fs::write(&source, png(64, 48))?;
    navigate(app, "queue")?;
    drop_paths(app, &[&source])?;
    let note = wait_for("the batch notification", Duration::from_secs(30), || {
        let seen = shown.lock().expect("shown").clone();
        Ok(match seen.into_iter().last() {
            Some(note) => Probe::Ready(note),
            None => Probe::Seen("no notification yet".into()),
        })
    })?;
    ensure!(
        note.summary == "Mediasaur" && note.body == "1 file uploaded",
        "{note:?}"
    );
    ensure!(
        note.actions.first().map(String::as_str) == Some("default"),
        "the notification offers no default action: {note:?}"
    );

    navigate(app, "settings")?;
    // The app starts listening for the click just after the notification is shown: click until seen.
    wait_for(
        "the history view after a click on the notification",
        Duration::from_secs(10),
        || {
            if present_now(app, "view-history")? {
                return Ok(Probe::Ready(()));
            }
            rt.block_on(daemon.emit_signal(
                None::<BusName<'_>>,
                PATH,
                INTERFACE,
                "ActionInvoked",
                &(note.id, "default"),
            ))?;
            Ok(Probe::Seen("still not at the history".into()))
        },
    )
}

/// Serves `iface` at `path` under the well-known `name` on the session bus (the test's private one),
/// until the returned connection is dropped.
pub fn stand_in<I: zbus::object_server::Interface>(
    rt: &Runtime,
    name: &'static str,
    path: &'static str,
    iface: I,
) -> Result<zbus::Connection> {
    Ok(rt.block_on(
        zbus::connection::Builder::session()
            .name(name)
            .serve_at(path, iface)
            .build(),
    )?)
}

/// Stands in for the file manager's `org.freedesktop.FileManager1`: records what it is asked to show.
struct FakeFileManager {
    shown: Arc<Mutex<Vec<Vec<String>>>>,
}

#[zbus::interface(name = "org.freedesktop.FileManager1")]
impl FakeFileManager {
    fn show_items(&self, uris: Vec<String>, _startup_id: String) {
        self.shown.lock().expect("shown").push(uris);
    }
}

/// "Open in browser" hands the file's URL to the desktop's URL handler (`xdg-open`, a stand-in script
/// on the app's PATH that records what it is given), and "Show in folder" asks the file manager
/// (`org.freedesktop.FileManager1`, a stand-in on the test's bus) to show the local file.
pub fn open_and_reveal(
    app: &App,
    rt: &Runtime,
    history_id: &str,
    local: &Path,
    url: &str,
) -> Result<()> {
    let shown = Arc::new(Mutex::new(Vec::new()));
    let _file_manager = stand_in(
        rt,
        "org.freedesktop.FileManager1",
        "/org/freedesktop/FileManager1",
        FakeFileManager {
            shown: Arc::clone(&shown),
        },
    )?;
    navigate(app, "history")?;
    let item = app.session.find(&format!(
        "{}[data-history-id=\"{history_id}\"]",
        tid("history-item")
    ))?;

    item.by_testid("history-open")?.click()?;
    let opened = wait_for(
        "xdg-open to be given the file's URL",
        Duration::from_secs(10),
        || {
            let opened = app.opened_urls();
            Ok(match opened.last() {
                Some(line) => Probe::Ready(line.clone()),
                None => Probe::Seen("xdg-open not run yet".into()),
            })
        },
    )?;
    ensure!(opened == url, "xdg-open was given {opened:?}, not {url:?}");

    item.by_testid("history-reveal")?.click()?;
    let uris = wait_for(
        "the file manager to be asked to show the file",
        Duration::from_secs(10),
        || {
            Ok(match shown.lock().expect("shown").last() {
                Some(uris) => Probe::Ready(uris.clone()),
                None => Probe::Seen("ShowItems not called yet".into()),
            })
        },
    )?;
    let want = format!("file://{}", local.display());
    ensure!(
        uris == [want.clone()],
        "ShowItems({uris:?}), not [{want:?}]"
    );
    Ok(())
}
