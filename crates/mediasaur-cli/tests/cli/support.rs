//! The harness: runs the real `mediasaur` binary with its own profiles directory and keyring service,
//! full logging, and a transcript of everything it printed, which is searched for API keys at the
//! end of every test.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, PoisonError};

pub use mediasaur_e2e::{random_hex, require_keyring_session as require_session};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// The CLI binary cargo built for these tests.
const BIN: &str = env!("CARGO_BIN_EXE_mediasaur");

/// The length of the pieces of a key's random part that must appear nowhere either.
pub const LEAK_WINDOW: usize = 12;

pub const MIB: usize = 1024 * 1024;

/// A well-formed API key no server knows.
pub fn unknown_key() -> String {
    format!("sk_{}", random_hex())
}

/// One run of the binary: its command line, exit code and output.
#[derive(Clone)]
pub struct Run {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // With MEDIASAUR_LOG=trace stderr is long: its messages first, then the end of the log.
        write!(
            f,
            "`mediasaur {}` exited with {:?}\n--- stdout ---\n{}\n--- stderr messages ---\n{}\n\
             --- stderr (end) ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.messages().join("\n"),
            tail(&self.stderr, 4000)
        )
    }
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Whether `line` is written by the log subscriber: `YYYY-MM-DDTHH:MM:SS…Z LEVEL …`.
fn is_log_line(line: &str) -> bool {
    let bytes = line.as_bytes();
    bytes.len() > 20
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[10] == b'T'
        && ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
            .iter()
            .any(|level| {
                line.contains(&format!("Z {level} ")) || line.contains(&format!("Z  {level} "))
            })
}

fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

impl Run {
    /// Asserts exit code 0.
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(self.code, Some(0), "expected success:\n{self}");
        self
    }

    /// Asserts exit code 1 and `error: … [code]` as the last message on stderr.
    #[track_caller]
    pub fn error(&self, code: &str) -> &Self {
        assert_eq!(self.code, Some(1), "expected exit code 1 ({code}):\n{self}");
        let last = self.last_message();
        assert!(
            last.starts_with("error: ") && last.ends_with(&format!(" [{code}]")),
            "expected `error: … [{code}]` as the last message on stderr:\n{self}"
        );
        self
    }

    /// The lines of stderr meant for people: every line but the log lines (which start with a
    /// timestamp such as `2026-01-02T03:04:05.678Z`).
    pub fn messages(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|line| !is_log_line(line))
            .collect()
    }

    /// The last of [`Run::messages`]: the error or the summary.
    pub fn last_message(&self) -> &str {
        self.messages().last().copied().unwrap_or_default()
    }

    /// Every stdout line parsed as JSON.
    #[track_caller]
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("stdout line {line:?} is not JSON ({e}):\n{self}"))
            })
            .collect()
    }

    /// Stdout as exactly one JSON document on one line.
    #[track_caller]
    pub fn json(&self) -> Value {
        let mut lines = self.json_lines();
        assert_eq!(lines.len(), 1, "expected one JSON line:\n{self}");
        lines.remove(0)
    }

    /// The stdout lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// One isolated user of the CLI: a profiles directory and a keyring service of its own, and the
/// secrets that must never show in anything the CLI printed or wrote.
pub struct Cli {
    config: tempfile::TempDir,
    data: tempfile::TempDir,
    service: String,
    secrets: Mutex<Vec<String>>,
    runs: Mutex<Vec<Run>>,
}

impl fmt::Debug for Cli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cli")
            .field("config", &self.config.path())
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl Cli {
    /// A fresh user; fails the test outside a Secret Service session.
    pub fn new() -> Self {
        require_session();
        Self {
            config: tempfile::tempdir().expect("config dir"),
            data: tempfile::tempdir().expect("data dir"),
            service: format!("mediasaur-cli-test-{}", random_hex()),
            secrets: Mutex::default(),
            runs: Mutex::default(),
        }
    }

    /// Adds a key that must never appear in the output or the config directory.
    pub fn secret(&self, key: &str) {
        let mut secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
        if !secrets.iter().any(|known| known == key) {
            secrets.push(key.to_owned());
        }
    }

    /// `profiles.toml` in it.
    pub fn profiles_file(&self) -> PathBuf {
        self.config.path().join("profiles.toml")
    }

    /// The keyring service name (`MEDIASAUR_KEYRING_SERVICE`).
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Runs `mediasaur ARGS` with nothing on stdin.
    pub async fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.exec(args, None).await
    }

    /// Runs `mediasaur ARGS` with `stdin` piped in.
    pub async fn run_with_stdin<I, S>(&self, args: I, stdin: &str) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.exec(args, Some(stdin)).await
    }

    async fn exec<I, S>(&self, args: I, stdin: Option<&str>) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<OsString> = args
            .into_iter()
            .map(|arg| arg.as_ref().to_owned())
            .collect();
        let mut command = self.command(&args);
        command
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("start the mediasaur binary");
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            pipe.write_all(text.as_bytes()).await.expect("write stdin");
            drop(pipe);
        }
        let output = child.wait_with_output().await.expect("wait for mediasaur");
        let run = Run {
            args: args
                .iter()
                .map(|arg| arg.to_string_lossy().into_owned())
                .collect(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        self.runs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(run.clone());
        run
    }

    /// `mediasaur ARGS` with this user's directories and keyring, not started yet (for tests that
    /// kill it or talk to it while it runs).
    pub fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env("MEDIASAUR_CONFIG_DIR", self.config.path())
            .env("MEDIASAUR_CLIENT_DATA_DIR", self.data.path())
            .env("MEDIASAUR_KEYRING_SERVICE", &self.service)
            .env("MEDIASAUR_LOG", "trace")
            .env_remove("MEDIASAUR_PROFILE")
            .kill_on_drop(true);
        command
    }

    /// The data directory (`MEDIASAUR_CLIENT_DATA_DIR`: the local database).
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// `login --endpoint ENDPOINT EXTRA...` with `key` and a newline on stdin (as `echo` pipes it).
    pub async fn login(&self, endpoint: &str, key: &str, extra: &[&str]) -> Run {
        self.secret(key);
        let mut args = vec!["login", "--endpoint", endpoint];
        args.extend_from_slice(extra);
        self.run_with_stdin(args, &format!("{key}\n")).await
    }

    /// `login` that must succeed, for a profile with bucket `default`.
    pub async fn login_default(&self, endpoint: &str, key: &str) {
        self.login(endpoint, key, &["--bucket", "default"])
            .await
            .success();
    }

    /// `secret-tool lookup service <service> username <profile>`: the stored secret, if any.
    pub async fn keyring_lookup(&self, profile: &str) -> Option<String> {
        let output = Command::new("secret-tool")
            .args(["lookup", "service", &self.service, "username", profile])
            .output()
            .await
            .expect("run secret-tool (libsecret-tools)");
        let stdout = String::from_utf8(output.stdout).expect("UTF-8 from secret-tool");
        (output.status.success() && !stdout.is_empty())
            .then(|| stdout.trim_end_matches('\n').to_owned())
    }

    /// Every run so far.
    pub fn runs(&self) -> Vec<Run> {
        self.runs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Asserts that no secret, nor any [`LEAK_WINDOW`]-character piece of its random part, is in
    /// the stdout or stderr of any run so far, or in any file under the config or data directory.
    #[track_caller]
    pub fn assert_no_leaks(&self) {
        let secrets = self
            .secrets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        assert!(!secrets.is_empty(), "no secret to look for");
        let mut places: Vec<(String, String)> = Vec::new();
        for run in self.runs() {
            let name = format!("`mediasaur {}`", run.args.join(" "));
            places.push((format!("{name} stdout"), run.stdout));
            places.push((format!("{name} stderr"), run.stderr));
        }
        // The local database (and its WAL) must hold no key either.
        let stored = files_under(self.config.path())
            .into_iter()
            .chain(files_under(self.data.path()));
        for path in stored {
            let Ok(bytes) = std::fs::read(&path) else {
                continue; // a WAL file checkpointed away meanwhile
            };
            places.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
        let leaks: Vec<String> = places
            .iter()
            .flat_map(|(place, text)| {
                secrets
                    .iter()
                    .filter_map(move |secret| find_leak(text, secret))
                    .map(move |piece| format!("{place} contains {piece:?}"))
            })
            .collect();
        assert!(leaks.is_empty(), "a key leaked:\n{}", leaks.join("\n"));
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        // The session keyring is thrown away after the run anyway; this keeps it small.
        let _ = std::process::Command::new("secret-tool")
            .args(["clear", "service", &self.service])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The first piece of `secret` found in `text`: the whole key, or a [`LEAK_WINDOW`]-character
/// window of its random part (what follows `sk_`).
pub fn find_leak(text: &str, secret: &str) -> Option<String> {
    if text.contains(secret) {
        return Some(secret.to_owned());
    }
    let random = secret.strip_prefix("sk_").unwrap_or(secret);
    let chars: Vec<char> = random.chars().collect();
    chars
        .windows(LEAK_WINDOW.min(chars.len()))
        .map(|window| window.iter().collect::<String>())
        .find(|window| text.contains(window.as_str()))
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a config dir") {
            let path = entry.expect("a dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Writes `bytes` to `root/relative`, creating its directories.
pub fn write(root: &Path, relative: &str, bytes: &[u8]) -> PathBuf {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
    std::fs::write(&path, bytes).expect("write a test file");
    path
}

/// A path as a command-line argument (test paths are UTF-8).
#[track_caller]
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 test path")
}

/// A field of a JSON object as text.
#[track_caller]
pub fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no text field {field:?} in {value}"))
}

#[test]
fn the_leak_check_finds_whole_keys_and_pieces_of_them() {
    let key = "sk_0123456789abcdefghijKLMNOP";
    assert_eq!(find_leak(&format!("x {key} y"), key).as_deref(), Some(key));
    assert_eq!(
        find_leak("Authorization: Bearer …9abcdefghijK…", key).as_deref(),
        Some("9abcdefghijK")
    );
    assert_eq!(
        find_leak("sk_0123456789abcdefghi", key).as_deref(),
        Some("0123456789ab")
    );
    assert_eq!(find_leak("0123456789a bcdefghijKL MNOP", key), None);
}

#[test]
fn the_leak_check_reads_every_config_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/b/c.toml", b"x");
    write(dir.path(), "top", b"y");
    assert_eq!(
        files_under(dir.path()),
        [dir.path().join("a/b/c.toml"), dir.path().join("top")]
    );
}
