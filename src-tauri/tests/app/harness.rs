//! Starts the real app in a real WebKit window for a test: a private Xvfb display, tauri-driver (which
//! starts WebKitWebDriver, which starts the app), fresh config and data dirs, a keyring service of its
//! own, and the test server offered as the local server. Everything stops when the [`App`] is dropped.

use std::collections::hash_map::DefaultHasher;
use std::ffi::OsString;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use tempfile::TempDir;
use tokio::runtime::Handle;

use crate::webdriver::{wait_for, Probe, Session, WebDriver};

/// The app under test, built by cargo for this test binary.
pub const APP_BINARY: &str = env!("CARGO_BIN_EXE_mediasaur-desktop");

/// Where screenshots go: `<workspace root>/screenshots/<theme>/<view>.png`.
pub fn screenshots_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("screenshots")
}

const INSTALL_HINT: &str =
    "install the desktop test tools by running scripts/test (scripts/lib.sh: ensure_app_test_deps)";

/// One running app with its display, driver and directories.
#[derive(Debug)]
pub struct App {
    /// The WebDriver session: the app's window.
    pub session: Session,
    /// `MEDIASAUR_KEYRING_SERVICE` of this app.
    pub service: String,
    /// `DISPLAY` of this app's private Xvfb, e.g. `:7`.
    pub display: String,
    /// `MEDIASAUR_CONFIG_DIR`.
    pub config_dir: TempDir,
    /// `MEDIASAUR_CLIENT_DATA_DIR`.
    pub data_dir: TempDir,
    /// The XDG dirs (WebKit storage, plugin logs) and the driver's log.
    scratch: TempDir,
    /// The environment the app runs with (beyond what the test process has).
    env: Vec<(String, OsString)>,
    driver: Child,
    xvfb: Child,
    _lock: AppLock,
}

impl App {
    /// Starts an app whose first-run setup offers `local_server` (the test server's base URL).
    pub fn launch(rt: &Handle, local_server: &str) -> Result<Self> {
        mediasaur_e2e::require_keyring_session();
        for tool in ["Xvfb", "tauri-driver", "WebKitWebDriver"] {
            if find_on_path(tool).is_none() {
                bail!("{tool} not found on PATH: {INSTALL_HINT}");
            }
        }
        let lock = AppLock::acquire()?;
        let scratch = tempfile::Builder::new()
            .prefix("mediasaur-e2e-app-")
            .tempdir()
            .context("scratch dir")?;
        let (xvfb, display) = start_xvfb(scratch.path())?;
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let service = format!(
            "mediasaur-e2e-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        // Stops what has started so far if launching fails half-way.
        let mut app = PartialApp {
            driver: None,
            xvfb: Some(xvfb),
            service: service.clone(),
        };
        let config_dir = tempfile::Builder::new()
            .prefix("mediasaur-e2e-config-")
            .tempdir()?;
        let data_dir = tempfile::Builder::new()
            .prefix("mediasaur-e2e-data-")
            .tempdir()?;
        let mut env: Vec<(String, OsString)> = vec![
            ("DISPLAY".into(), display.clone().into()),
            ("GDK_BACKEND".into(), "x11".into()),
            ("MEDIASAUR_CONFIG_DIR".into(), config_dir.path().into()),
            ("MEDIASAUR_CLIENT_DATA_DIR".into(), data_dir.path().into()),
            ("MEDIASAUR_KEYRING_SERVICE".into(), service.clone().into()),
            (
                "MEDIASAUR_LOCAL_SERVER".into(),
                local_server.trim_end_matches('/').into(),
            ),
        ];
        // WebKit's storage, the log plugin's files and autostart entries (written under
        // $HOME/.config/autostart, whatever XDG_CONFIG_HOME says) stay in this test's dirs.
        for (var, dir) in [
            ("HOME", "home"),
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_DATA_HOME", "data"),
            ("XDG_CACHE_HOME", "cache"),
            ("XDG_STATE_HOME", "state"),
        ] {
            let path = scratch.path().join("xdg").join(dir);
            std::fs::create_dir_all(&path)?;
            env.push((var.into(), path.into()));
        }

        // The desktop's URL handler: a stand-in `xdg-open` ahead of any real one on the app's PATH.
        let bin = scratch.path().join("bin");
        std::fs::create_dir_all(&bin)?;
        let opener = bin.join("xdg-open");
        std::fs::write(
            &opener,
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >>\"$MEDIASAUR_E2E_OPENED\"\n",
        )?;
        std::fs::set_permissions(&opener, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        let mut path = OsString::from(&bin);
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        env.push(("PATH".into(), path));
        env.push((
            "MEDIASAUR_E2E_OPENED".into(),
            scratch.path().join("opened.txt").into(),
        ));

        let (port, native_port) = (free_port()?, free_port()?);
        let log = scratch.path().join("tauri-driver.log");
        let log_file = File::create(&log)?;
        let driver = Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env_remove("WAYLAND_DISPLAY")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            // Its own process group: WebKitWebDriver and the app join it, so teardown reaches them.
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting tauri-driver: {INSTALL_HINT}"))?;
        app.driver = Some(driver);
        let webdriver = WebDriver::new(&format!("http://127.0.0.1:{port}"), rt.clone());
        let driver_child = app.driver.as_mut().expect("driver");
        wait_for(
            "tauri-driver and WebKitWebDriver to accept sessions",
            Duration::from_secs(20),
            || {
                if let Some(status) = driver_child.try_wait()? {
                    bail!(
                        "tauri-driver exited ({status}) before it accepted sessions; its log:\n{}",
                        tail(&log, 40)
                    );
                }
                match webdriver.ready() {
                    Ok(true) => Ok(Probe::Ready(())),
                    Ok(false) => Ok(Probe::Seen("GET /status: not ready".into())),
                    Err(e) => Ok(Probe::Seen(format!("{e:#}"))),
                }
            },
        )
        .map_err(|e| anyhow!("{e:#}\ntauri-driver's log:\n{}", tail(&log, 40)))?;

        let session = webdriver
            .new_session(APP_BINARY, &[])
            .map_err(|e| anyhow!("{e:#}\ntauri-driver's log:\n{}", tail(&log, 60)))?;
        session.set_script_timeout(Duration::from_secs(60))?;

        let (driver, xvfb) = app.take();
        Ok(Self {
            session,
            service,
            display,
            config_dir,
            data_dir,
            scratch,
            env,
            driver,
            xvfb,
            _lock: lock,
        })
    }

    /// A command that runs the app binary again with this app's environment (display, dirs, keyring
    /// service), in the driver's process group so teardown reaches it too.
    pub fn second_instance(&self) -> Command {
        let mut command = Command::new(APP_BINARY);
        command
            .env_remove("WAYLAND_DISPLAY")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .process_group(self.driver.id() as i32);
        if let Ok(log) = File::create(self.scratch.path().join("second-instance.log")) {
            if let Ok(clone) = log.try_clone() {
                command.stdout(clone);
            }
            command.stderr(log);
        }
        command
    }

    /// What the app handed to `xdg-open` so far, one line per call.
    pub fn opened_urls(&self) -> Vec<String> {
        std::fs::read_to_string(self.scratch.path().join("opened.txt"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The app's `$HOME`, a directory of this test's own.
    pub fn home(&self) -> PathBuf {
        self.scratch.path().join("xdg").join("home")
    }

    /// The log of the last [`App::second_instance`].
    pub fn second_instance_log(&self) -> String {
        tail(&self.scratch.path().join("second-instance.log"), 40)
    }

    /// Every file under the app's directories (config, data, XDG dirs, logs) that contains `needle`.
    pub fn files_containing(&self, needle: &[u8]) -> Result<Vec<PathBuf>> {
        let mut found = Vec::new();
        for root in [
            self.config_dir.path(),
            self.data_dir.path(),
            self.scratch.path(),
        ] {
            scan(root, needle, &mut found)?;
        }
        Ok(found)
    }

    /// Saves a screenshot of the window as `screenshots/<theme>/<view>.png`; returns its path.
    pub fn screenshot(&self, theme: &str, view: &str) -> Result<PathBuf> {
        let png = self.session.screenshot()?;
        let dir = screenshots_dir().join(theme);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{view}.png"));
        std::fs::write(&path, &png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Saves what the X server shows (the whole Xvfb screen, via ImageMagick's `import`) as
    /// `screenshots/<theme>/<view>.x11.png`: the window as composited, beside WebKit's own snapshot.
    pub fn screen_capture(&self, theme: &str, view: &str) -> Result<PathBuf> {
        let dir = screenshots_dir().join(theme);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{view}.x11.png"));
        let import = find_on_path("import")
            .ok_or_else(|| anyhow!("ImageMagick's import not found: {INSTALL_HINT}"))?;
        let out = Command::new(import)
            .args(["-window", "root"])
            .arg(&path)
            .env("DISPLAY", &self.display)
            .output()?;
        if !out.status.success() {
            bail!(
                "import -window root failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(path)
    }

    fn teardown(&mut self) {
        let _ = self.session.delete();
        stop_group(&mut self.driver);
        kill_marked(&self.service);
        stop_child(&mut self.xvfb);
        // The session's keyring is thrown away with the session; tidy up anyway.
        let _ = Command::new("secret-tool")
            .args(["clear", "service", &self.service, "username", "default"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// The tails of the driver's log (it holds WebKitWebDriver's and the app's stderr) and of the
    /// app's own log files, for a failing test's output.
    fn logs(&self) -> String {
        let mut out = format!(
            "--- tauri-driver / WebKitWebDriver / app stderr (last lines) ---\n{}",
            tail(&self.scratch.path().join("tauri-driver.log"), 60)
        );
        let mut logs = Vec::new();
        let _ = scan_logs(&self.scratch.path().join("xdg"), &mut logs);
        for log in logs {
            out.push_str(&format!(
                "\n--- {} (last lines) ---\n{}",
                log.display(),
                tail(&log, 60)
            ));
        }
        out
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let logs = self.logs();
        self.teardown();
        // Test output is only shown when the test fails: that is when these logs matter.
        eprintln!("{logs}");
    }
}

/// The children started before the session exists, stopped if launching fails half-way.
struct PartialApp {
    driver: Option<Child>,
    xvfb: Option<Child>,
    service: String,
}

impl PartialApp {
    fn take(&mut self) -> (Child, Child) {
        (
            self.driver.take().expect("driver"),
            self.xvfb.take().expect("xvfb"),
        )
    }
}

impl Drop for PartialApp {
    fn drop(&mut self) {
        if self.driver.is_none() && self.xvfb.is_none() {
            return; // launched: the App owns them now
        }
        if let Some(driver) = self.driver.as_mut() {
            stop_group(driver);
        }
        kill_marked(&self.service);
        if let Some(xvfb) = self.xvfb.as_mut() {
            stop_child(xvfb);
        }
    }
}

/// Only one app per D-Bus session at a time: the single-instance plugin owns one well-known name per
/// session bus, so a second app (another test) would hand its arguments to the first and exit. Held
/// as an abstract Unix socket, which the kernel releases when the process dies.
#[derive(Debug)]
struct AppLock {
    _listener: UnixListener,
}

impl AppLock {
    fn acquire() -> Result<Self> {
        let mut hasher = DefaultHasher::new();
        std::env::var("DBUS_SESSION_BUS_ADDRESS")
            .unwrap_or_default()
            .hash(&mut hasher);
        let name = format!("mediasaur-e2e-app-{:016x}", hasher.finish());
        let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
        let timeout = Duration::from_secs(300);
        let start = Instant::now();
        loop {
            match UnixListener::bind_addr(&addr) {
                Ok(listener) => {
                    return Ok(Self {
                        _listener: listener,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    if start.elapsed() > timeout {
                        bail!("another app test held the app lock for over {timeout:?}");
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(e).context("taking the app lock"),
            }
        }
    }
}

/// Starts `Xvfb -displayfd 1`, which picks a free display and prints its number on stdout.
fn start_xvfb(scratch: &Path) -> Result<(Child, String)> {
    let log = scratch.join("xvfb.log");
    let mut xvfb = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(File::create(&log)?)
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting Xvfb: {INSTALL_HINT}"))?;
    let stdout = xvfb.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    match rx.recv_timeout(Duration::from_secs(15)) {
        Ok(line) if line.trim().parse::<u32>().is_ok() => Ok((xvfb, format!(":{}", line.trim()))),
        outcome => {
            stop_child(&mut xvfb);
            bail!(
                "Xvfb did not report a display ({outcome:?}); its log:\n{}",
                tail(&log, 20)
            )
        }
    }
}

/// A TCP port nobody listens on right now.
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The path of `tool` on `PATH`.
pub fn find_on_path(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(tool))
        .find(|path| path.is_file())
}

/// `kill -<signal> -- <target>`; true if it was delivered.
fn signal(target: &str, name: &str) -> bool {
    Command::new("kill")
        .args([&format!("-{name}"), "--", target])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Stops `child` and its process group: SIGTERM, then SIGKILL after 5 s.
fn stop_group(child: &mut Child) {
    let group = format!("-{}", child.id());
    signal(&group, "TERM");
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() && !signal(&group, "0") {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    signal(&group, "KILL");
    let _ = child.wait();
}

/// Stops one child: SIGTERM, then SIGKILL after 3 s.
fn stop_child(child: &mut Child) {
    if child.try_wait().ok().flatten().is_some() {
        return;
    }
    signal(&child.id().to_string(), "TERM");
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// SIGKILLs every process still carrying this app's `MEDIASAUR_KEYRING_SERVICE` (unique per test):
/// only processes this harness started, whatever process group they ended up in.
fn kill_marked(service: &str) {
    let marker = format!("MEDIASAUR_KEYRING_SERVICE={service}");
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ
            .split(|&b| b == 0)
            .any(|var| var == marker.as_bytes())
        {
            signal(&pid.to_string(), "KILL");
        }
    }
}

/// Appends to `found` every regular file under `dir` whose bytes contain `needle`.
fn scan(dir: &Path, needle: &[u8], found: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            scan(&path, needle, found)?;
        } else if kind.is_file() {
            // Files can vanish while the app runs (SQLite journals); those hold nothing now.
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            if bytes.windows(needle.len()).any(|w| w == needle) {
                found.push(path);
            }
        }
    }
    Ok(())
}

fn scan_logs(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            scan_logs(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "log") {
            found.push(path);
        }
    }
    Ok(())
}

/// The last `lines` lines of a text file (or why it could not be read).
pub fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("({}: {e})", path.display()),
    }
}
