//! A tiny HTTP/1.1 responder on 127.0.0.1 standing in for a broken or unusual server: it reads each
//! request whole (headers and body, fixed-length or chunked) and answers it with whatever raw bytes
//! the test's function returns, keeping the connection alive. It records every request line, so tests
//! can count the attempts a client made.
//!
//! It is for answers the real server never gives (garbage, a proxy's HTML error page, a full disk);
//! everything else is tested against the real server.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use url::Url;

/// Longest request head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// One request as the responder saw it (the body is read but not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// `GET`, `PUT`, `OPTIONS`…
    pub method: String,
    /// The request target, e.g. `/default/a.bin?X-Expires=…`.
    pub target: String,
    /// Header names (lowercase) and values, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes received.
    pub body_len: u64,
}

impl SeenRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Respond = dyn Fn(&SeenRequest, usize) -> Vec<u8> + Send + Sync;

/// The responder. Stops when dropped.
pub struct FakeHttp {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    stop: CancellationToken,
}

impl std::fmt::Debug for FakeHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeHttp")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl FakeHttp {
    /// Answers every request with `respond(request, index)`, `index` counting requests from 0 over all
    /// connections. The returned bytes are sent as they are: a status line, headers and body.
    pub async fn start(
        respond: impl Fn(&SeenRequest, usize) -> Vec<u8> + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake http");
        let addr = listener.local_addr().expect("fake http local addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = CancellationToken::new();
        let respond: Arc<Respond> = Arc::new(respond);
        tokio::spawn(accept_loop(
            listener,
            Arc::clone(&seen),
            respond,
            stop.clone(),
        ));
        Self { addr, seen, stop }
    }

    /// Answers every request with the same bytes.
    pub async fn always(response: impl Into<Vec<u8>>) -> Self {
        let response = response.into();
        Self::start(move |_, _| response.clone()).await
    }

    /// The socket it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>` followed by `path_and_query`.
    pub fn url(&self, path_and_query: &str) -> Url {
        Url::parse(&format!("http://{}{path_and_query}", self.addr)).expect("fake http url")
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for FakeHttp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// A complete response: `status_line` (e.g. `502 Bad Gateway`), extra header lines (each without
/// CRLF), and `body` with its `Content-Length`.
pub fn response(status_line: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status_line}\r\n");
    for header in headers {
        out.push_str(header);
        out.push_str("\r\n");
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}

async fn accept_loop(
    listener: TcpListener,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    respond: Arc<Respond>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let (seen, respond, stop) = (Arc::clone(&seen), Arc::clone(&respond), stop.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = stop.cancelled() => {}
                result = serve(stream, &seen, &*respond) => {
                    if let Err(err) = result {
                        eprintln!("fake http: {err}");
                    }
                }
            }
        });
    }
}

async fn serve(
    stream: TcpStream,
    seen: &Mutex<Vec<SeenRequest>>,
    respond: &Respond,
) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut stream = BufReader::new(stream);
    loop {
        let Some(request) = read_request(&mut stream).await? else {
            return Ok(());
        };
        let index = {
            let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
            seen.push(request.clone());
            seen.len() - 1
        };
        let answer = respond(&request, index);
        stream.get_mut().write_all(&answer).await?;
        stream.get_mut().flush().await?;
    }
}

/// Reads one request, body included; `None` when the client closed the connection between requests.
async fn read_request(stream: &mut BufReader<TcpStream>) -> io::Result<Option<SeenRequest>> {
    let mut head_len = 0;
    let mut request_line = String::new();
    if stream.read_line(&mut request_line).await? == 0 {
        return Ok(None);
    }
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(io::Error::other(format!(
            "bad request line {request_line:?}"
        )));
    };
    let (method, target) = (method.to_owned(), target.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        let read = stream.read_line(&mut line).await?;
        head_len += read;
        if read == 0 || head_len > MAX_HEAD {
            return Err(io::Error::other("the request head did not end"));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let mut request = SeenRequest {
        method,
        target,
        headers,
        body_len: 0,
    };
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            let mut size_line = String::new();
            stream.read_line(&mut size_line).await?;
            let size = size_line.trim().split(';').next().unwrap_or_default();
            let size = u64::from_str_radix(size, 16)
                .map_err(|_| io::Error::other(format!("bad chunk size {size_line:?}")))?;
            discard(stream, size).await?;
            request.body_len += size;
            let mut crlf = String::new();
            stream.read_line(&mut crlf).await?;
            if size == 0 {
                break;
            }
        }
    } else if let Some(len) = request.header("content-length") {
        let len: u64 = len
            .parse()
            .map_err(|_| io::Error::other(format!("bad Content-Length {len:?}")))?;
        discard(stream, len).await?;
        request.body_len = len;
    }
    Ok(Some(request))
}

async fn discard(stream: &mut BufReader<TcpStream>, len: u64) -> io::Result<()> {
    let copied = tokio::io::copy(&mut (&mut *stream).take(len), &mut tokio::io::sink()).await?;
    if copied < len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the body ended early",
        ));
    }
    Ok(())
}
