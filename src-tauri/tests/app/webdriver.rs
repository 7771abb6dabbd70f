//! A small W3C WebDriver client (<https://www.w3.org/TR/webdriver2/>) over reqwest, with a blocking
//! surface: every call runs on the test's tokio runtime through `Handle::block_on`, so tests read top
//! to bottom and `wait_for` takes plain closures.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::runtime::Handle;

/// The key under which W3C WebDriver wraps element references.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a click waits for whatever covers its element to go away.
pub const CLICK_PATIENCE: Duration = Duration::from_secs(10);

/// `[data-testid="<id>"]`.
pub fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// A WebDriver error answered by the driver (`{"value":{"error","message"}}`).
#[derive(Debug)]
pub struct DriverError {
    /// The W3C error code, e.g. `no such element`, `invalid session id`.
    pub error: String,
    /// The driver's message.
    pub message: String,
    /// What was asked.
    pub request: String,
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.request, self.error, self.message)
    }
}

impl std::error::Error for DriverError {}

/// Whether `error` is a WebDriver `no such element` (or a stale reference): the thing is not on the
/// page (now).
pub fn is_missing(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<DriverError>()
        .is_some_and(|e| e.error == "no such element" || e.error == "stale element reference")
}

/// The HTTP side shared by a session and its elements.
#[derive(Clone)]
struct Conn {
    http: reqwest::Client,
    rt: Handle,
    /// `http://127.0.0.1:<port>/session/<id>`.
    session_url: String,
}

impl Conn {
    fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value> {
        request(
            &self.http,
            &self.rt,
            method,
            &format!("{}{path}", self.session_url),
            body,
            None,
        )
    }
}

/// Sends one WebDriver command and returns its `value`.
fn request(
    http: &reqwest::Client,
    rt: &Handle,
    method: Method,
    url: &str,
    body: Option<Value>,
    timeout: Option<Duration>,
) -> Result<Value> {
    let what = format!("{method} {url}");
    rt.block_on(async {
        let mut builder = http.request(method.clone(), url);
        if let Some(timeout) = timeout {
            builder = builder.timeout(timeout);
        }
        // POST commands without parameters still need a JSON object.
        if method == Method::POST {
            builder = builder.json(&body.unwrap_or_else(|| json!({})));
        }
        let response = builder
            .send()
            .await
            .with_context(|| format!("{what}: the WebDriver server did not answer"))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .with_context(|| format!("{what}: reading the answer"))?;
        let mut parsed: Value = serde_json::from_str(&text)
            .with_context(|| format!("{what}: HTTP {status}, not JSON: {}", shorten(&text, 500)))?;
        let value = parsed
            .get_mut("value")
            .map(Value::take)
            .unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(value);
        }
        let field = |name: &str| value.get(name).and_then(Value::as_str).unwrap_or("");
        Err(DriverError {
            error: if field("error").is_empty() {
                format!("HTTP {status}")
            } else {
                field("error").to_owned()
            },
            message: shorten(field("message"), 1000),
            request: what.clone(),
        }
        .into())
    })
}

/// A WebDriver server (here tauri-driver) at `http://127.0.0.1:<port>`.
#[derive(Debug, Clone)]
pub struct WebDriver {
    http: reqwest::Client,
    rt: Handle,
    base: String,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.session_url)
    }
}

impl WebDriver {
    /// A client for the server at `base` (no trailing slash); calls run on `rt`.
    pub fn new(base: &str, rt: Handle) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        Self {
            http,
            rt,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// `GET /status`: whether the server is up and ready for a session.
    pub fn ready(&self) -> Result<bool> {
        let status = request(
            &self.http,
            &self.rt,
            Method::GET,
            &format!("{}/status", self.base),
            None,
            Some(Duration::from_secs(2)),
        )?;
        Ok(status.get("ready").and_then(Value::as_bool).unwrap_or(true))
    }

    /// Opens a session whose browser is the Tauri app `application`, started with `args`.
    pub fn new_session(&self, application: &str, args: &[String]) -> Result<Session> {
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "tauri:options": { "application": application, "args": args }
                }
            }
        });
        let value = request(
            &self.http,
            &self.rt,
            Method::POST,
            &format!("{}/session", self.base),
            Some(capabilities),
            Some(Duration::from_secs(90)),
        )
        .context("opening a WebDriver session (starting the app)")?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("the new session has no sessionId: {value}"))?;
        Ok(Session {
            conn: Conn {
                http: self.http.clone(),
                rt: self.rt.clone(),
                session_url: format!("{}/session/{id}", self.base),
            },
            open: true,
        })
    }
}

/// Changes a 1 px, almost transparent element every frame for 2 s, then removes it.
const PAINT_FOR_A_MOMENT: &str = r"
    const dot = document.createElement('div');
    dot.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;opacity:0.01';
    document.body.appendChild(dot);
    const end = performance.now() + 2000;
    let odd = false;
    (function tick() {
        odd = !odd;
        dot.style.opacity = odd ? '0.02' : '0.01';
        if (performance.now() < end) requestAnimationFrame(tick); else dot.remove();
    })();
";

/// One WebDriver session: one app window.
#[derive(Debug)]
pub struct Session {
    conn: Conn,
    open: bool,
}

impl Session {
    /// `DELETE /session/<id>`: closes the app. Safe to call twice.
    pub fn delete(&mut self) -> Result<()> {
        if !std::mem::replace(&mut self.open, false) {
            return Ok(());
        }
        self.conn.call(Method::DELETE, "", None).map(drop)
    }

    /// Sets the timeout of `execute_async` scripts.
    pub fn set_script_timeout(&self, timeout: Duration) -> Result<()> {
        self.conn
            .call(
                Method::POST,
                "/timeouts",
                Some(json!({ "script": timeout.as_millis() as u64 })),
            )
            .map(drop)
    }

    /// The first element matching the CSS `selector`.
    pub fn find(&self, selector: &str) -> Result<Element> {
        self.conn.find_in("", selector)
    }

    /// Every element matching the CSS `selector` (possibly none).
    pub fn find_all(&self, selector: &str) -> Result<Vec<Element>> {
        self.conn.find_all_in("", selector)
    }

    /// The first element with `data-testid="<id>"`.
    pub fn by_testid(&self, id: &str) -> Result<Element> {
        self.find(&tid(id))
            .with_context(|| format!("finding the element with data-testid={id:?}"))
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns what it returns.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.conn.call(
            Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Runs `script` asynchronously: it gets `args` and then a callback as its last argument, and the
    /// value it passes to the callback is returned.
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.conn.call(
            Method::POST,
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// A PNG of the window's viewport.
    pub fn screenshot(&self) -> Result<Vec<u8>> {
        // WebKitWebDriver's snapshot waits for the next paint, and with the shared-memory renderer
        // the app uses (src-tauri/src/lib.rs) a page at rest never paints again: the request would
        // hang. A near-invisible 1 px flicker for a moment keeps frames coming.
        self.execute(PAINT_FOR_A_MOMENT, vec![])?;
        let value = self.conn.call(Method::GET, "/screenshot", None)?;
        let encoded = value
            .as_str()
            .ok_or_else(|| anyhow!("the screenshot is not a string: {}", shorten_value(&value)))?;
        STANDARD
            .decode(encoded)
            .context("the screenshot is not base64")
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.open {
            let _ = self.delete();
        }
    }
}

impl Conn {
    /// `POST <scope>/element`: the first element matching `selector`, within the page (scope "")
    /// or an element (scope "/element/<id>").
    fn find_in(&self, scope: &str, selector: &str) -> Result<Element> {
        let value = self.call(
            Method::POST,
            &format!("{scope}/element"),
            Some(json!({ "using": "css selector", "value": selector })),
        )?;
        Element::from_value(self, &value)
    }

    /// `POST <scope>/elements`: every element matching `selector` there.
    fn find_all_in(&self, scope: &str, selector: &str) -> Result<Vec<Element>> {
        let value = self.call(
            Method::POST,
            &format!("{scope}/elements"),
            Some(json!({ "using": "css selector", "value": selector })),
        )?;
        Element::list(self, &value)
    }
}

/// A reference to one element of the page.
#[derive(Debug, Clone)]
pub struct Element {
    conn: Conn,
    id: String,
}

impl Element {
    fn from_value(conn: &Conn, value: &Value) -> Result<Self> {
        let id = value
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("not an element reference: {}", shorten_value(value)))?;
        Ok(Self {
            conn: conn.clone(),
            id: id.to_owned(),
        })
    }

    fn list(conn: &Conn, value: &Value) -> Result<Vec<Self>> {
        value
            .as_array()
            .ok_or_else(|| anyhow!("not a list of elements: {}", shorten_value(value)))?
            .iter()
            .map(|v| Self::from_value(conn, v))
            .collect()
    }

    fn path(&self) -> String {
        format!("/element/{}", self.id)
    }

    fn call(&self, method: Method, command: &str, body: Option<Value>) -> Result<Value> {
        self.conn
            .call(method, &format!("{}{command}", self.path()), body)
    }

    /// The first descendant matching the CSS `selector`.
    pub fn find(&self, selector: &str) -> Result<Element> {
        self.conn.find_in(&self.path(), selector)
    }

    /// Every descendant matching the CSS `selector`.
    pub fn find_all(&self, selector: &str) -> Result<Vec<Element>> {
        self.conn.find_all_in(&self.path(), selector)
    }

    /// The first descendant with `data-testid="<id>"`.
    pub fn by_testid(&self, id: &str) -> Result<Element> {
        self.find(&tid(id))
            .with_context(|| format!("finding the child with data-testid={id:?}"))
    }

    /// Clicks it (scrolled into view first, as a user would). While something else covers it (a
    /// toast going away by itself), waits up to [`CLICK_PATIENCE`] as a user would; then fails naming
    /// what covers it.
    pub fn click(&self) -> Result<()> {
        let start = Instant::now();
        loop {
            let Err(error) = self.call(Method::POST, "/click", None) else {
                return Ok(());
            };
            let intercepted = error
                .downcast_ref::<DriverError>()
                .is_some_and(|e| e.error == "element click intercepted");
            if !intercepted {
                return Err(error);
            }
            if start.elapsed() >= CLICK_PATIENCE {
                return Err(self.covered(error));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `error` with what lies on top of this element.
    fn covered(&self, error: anyhow::Error) -> anyhow::Error {
        let on_top = self
            .conn
            .call(
                Method::POST,
                "/execute/sync",
                Some(json!({
                    "script": "const e = arguments[0]; const r = e.getBoundingClientRect(); \
                        const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2); \
                        return { rect: [r.x, r.y, r.width, r.height], \
                                 viewport: [innerWidth, innerHeight], \
                                 target: e.outerHTML.slice(0, 200), \
                                 on_top: top ? top.outerHTML.slice(0, 300) : null };",
                    "args": [{ ELEMENT_KEY: self.id }],
                })),
            )
            .unwrap_or_else(|e| Value::String(format!("(could not tell: {e:#})")));
        error.context(format!(
            "for {:.0} s the click would have landed on another element: {on_top}",
            CLICK_PATIENCE.as_secs_f64()
        ))
    }

    /// Types `text` into it.
    pub fn send_keys(&self, text: &str) -> Result<()> {
        self.call(Method::POST, "/value", Some(json!({ "text": text })))
            .map(drop)
    }

    /// Empties an input.
    pub fn clear(&self) -> Result<()> {
        self.call(Method::POST, "/clear", None).map(drop)
    }

    /// Its rendered text.
    pub fn text(&self) -> Result<String> {
        let value = self.call(Method::GET, "/text", None)?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// An attribute's value, `None` when absent.
    pub fn attribute(&self, name: &str) -> Result<Option<String>> {
        let value = self.call(Method::GET, &format!("/attribute/{name}"), None)?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// A DOM property (`value`, `textContent`, `checked`, …).
    pub fn property(&self, name: &str) -> Result<Value> {
        self.call(Method::GET, &format!("/property/{name}"), None)
    }
}

/// What one probe of [`wait_for`] found.
#[derive(Debug)]
pub enum Probe<T> {
    /// The condition holds; here is what the test wanted.
    Ready(T),
    /// Not yet; this is what was seen (shown if the wait times out).
    Seen(String),
}

/// Polls `probe` until it is [`Probe::Ready`], at most `timeout`. An error from the probe counts as
/// "not yet" (the page may be re-rendering) unless the session itself is gone. On timeout, fails with
/// `description` and the last thing seen.
pub fn wait_for<T>(
    description: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Result<Probe<T>>,
) -> Result<T> {
    let start = Instant::now();
    let mut last;
    loop {
        match probe() {
            Ok(Probe::Ready(value)) => return Ok(value),
            Ok(Probe::Seen(seen)) => last = seen,
            Err(error) => {
                if let Some(driver) = error.downcast_ref::<DriverError>() {
                    if driver.error == "invalid session id" {
                        return Err(error).context(format!(
                            "while waiting for {description}: the app's session is gone"
                        ));
                    }
                }
                last = format!("error: {error:#}");
            }
        }
        if start.elapsed() >= timeout {
            bail!(
                "timed out after {:.1} s waiting for {description}; last seen: {last}",
                timeout.as_secs_f64()
            );
        }
        std::thread::sleep(Duration::from_millis(150));
    }
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn shorten_value(value: &Value) -> String {
    shorten(&value.to_string(), 300)
}
