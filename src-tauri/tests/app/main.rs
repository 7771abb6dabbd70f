//! End-to-end tests of Mediasaur Desktop: the real app (debug build, real WebKit window on a private
//! Xvfb) driven over WebDriver (tauri-driver + WebKitWebDriver), against the real server
//! (`TestServer`) over loopback, with API keys in a real Secret Service.
//!
//! Run through scripts/test, or:
//! `source scripts/lib.sh && with_test_session cargo nextest run -p mediasaur-desktop --test app`

mod desktop;
mod harness;
mod page;
mod scenarios;
mod tray;
mod webdriver;

use std::time::{Duration, Instant};

use anyhow::{anyhow, ensure, Context, Result};
use mediasaur_e2e::api_client::png;
use mediasaur_e2e::TestServer;
use tokio::runtime::Runtime;

use harness::App;
use page::{drop_paths, navigate, random_bytes, set_upload_settings, step, wait_for_row};
use scenarios::{first_run, pause_and_resume, screenshots, share, upload_png};
use webdriver::{wait_for, Probe};

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
