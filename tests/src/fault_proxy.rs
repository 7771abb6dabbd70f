//! A TCP proxy on 127.0.0.1 that forwards to a server and, when armed, cuts a connection mid-body.
//!
//! Tests point a client at [`FaultProxy::url`] instead of the server, arm a fault such as
//! [`FaultProxy::cut_next_upload_after`], and then read [`FaultProxy::bytes_up`] to see how much
//! the client sent, re-sends included. Each connection is forwarded by its own task; dropping the
//! proxy stops them all.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// The start of an HTTP `PATCH` request line. On a kept-alive connection it directly follows the
/// previous body, so nothing before it is required; a random body holds these 7 bytes with
/// negligible probability.
const PATCH_MARKER: &[u8] = b"PATCH /";

/// What a fault waits for: a new connection, or a `PATCH` request line on any connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Connection,
    Patch,
}

/// An armed fault: the `nth` matching event (1 = the next) gets its connection cut after `after`
/// bytes client→server, counted from the start of that connection or request line.
#[derive(Debug)]
struct Fault {
    trigger: Trigger,
    nth: usize,
    after: u64,
}

#[derive(Debug, Default)]
struct Shared {
    fault: Mutex<Option<Fault>>,
    bytes_up: AtomicU64,
    connections: AtomicUsize,
    cuts: AtomicUsize,
}

impl Shared {
    fn fault(&self) -> MutexGuard<'_, Option<Fault>> {
        self.fault.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records one `trigger` event; returns the byte budget if it fires the armed fault.
    fn claim(&self, trigger: Trigger) -> Option<u64> {
        let mut slot = self.fault();
        let fault = slot.as_mut().filter(|fault| fault.trigger == trigger)?;
        if fault.nth > 1 {
            fault.nth -= 1;
            return None;
        }
        slot.take().map(|fault| fault.after)
    }
}

/// What every connection task needs.
#[derive(Debug, Clone)]
struct Link {
    upstream: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
}

/// The proxy. Stops accepting and closes every forwarded connection when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    link: Link,
}

impl FaultProxy {
    /// Listens on `127.0.0.1:<random port>` and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fault proxy");
        let addr = listener.local_addr().expect("fault proxy local addr");
        let shared = Arc::default();
        let link = Link {
            upstream,
            shared,
            stop: CancellationToken::new(),
        };
        tokio::spawn(accept_loop(listener, link.clone()));
        Self { addr, link }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>` followed by `path_and_query`.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }

    /// Cuts the `nth` connection accepted from now on (1 = the next) once it has forwarded `bytes`
    /// client→server. Replaces any fault not fired yet.
    pub fn cut_connection_after(&self, nth: usize, bytes: u64) {
        self.arm(Trigger::Connection, nth, bytes);
    }

    /// Cuts the connection carrying the `nth` `PATCH` request from now on (1 = the next) once
    /// `bytes` of it, counted from its request line, have been forwarded. Replaces any fault not
    /// fired yet.
    pub fn cut_upload_after(&self, nth: usize, bytes: u64) {
        self.arm(Trigger::Patch, nth, bytes);
    }

    /// Cuts the connection carrying the next `PATCH` request once `bytes` of it are forwarded.
    pub fn cut_next_upload_after(&self, bytes: u64) {
        self.cut_upload_after(1, bytes);
    }

    /// Bytes forwarded client→server so far, over all connections, headers included.
    pub fn bytes_up(&self) -> u64 {
        self.link.shared.bytes_up.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.link.shared.connections.load(Ordering::SeqCst)
    }

    /// Connections cut by a fault so far.
    pub fn cuts(&self) -> usize {
        self.link.shared.cuts.load(Ordering::SeqCst)
    }

    fn arm(&self, trigger: Trigger, nth: usize, after: u64) {
        assert!(nth >= 1, "nth counts from 1");
        *self.link.shared.fault() = Some(Fault {
            trigger,
            nth,
            after,
        });
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.link.stop.cancel();
    }
}

async fn accept_loop(listener: TcpListener, link: Link) {
    loop {
        let accepted = tokio::select! {
            () = link.stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((client, _)) => {
                let id = link.shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::spawn(forward(id, client, link.clone()));
            }
            Err(err) => {
                eprintln!("fault proxy: accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Forwards one connection both ways until a side closes, the fault cuts it or the proxy stops.
async fn forward(id: usize, mut client: TcpStream, link: Link) {
    let (upstream, shared) = (link.upstream, &*link.shared);
    let mut server = match TcpStream::connect(upstream).await {
        Ok(server) => server,
        Err(err) => {
            eprintln!("fault proxy: connection {id}: cannot reach {upstream}: {err}");
            return;
        }
    };
    // Small requests (HEAD, the tail of a body) must not wait on Nagle's algorithm.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let cut_at = shared.claim(Trigger::Connection);
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();

    // Resolves to whether the fault cut the connection.
    let up = async {
        match client_to_server(&mut client_read, &mut server_write, shared, cut_at).await {
            Ok(true) => true,
            Ok(false) => {
                // The client finished sending: half-close likewise and keep relaying the response.
                let _ = server_write.shutdown().await;
                std::future::pending().await
            }
            Err(err) => {
                eprintln!("fault proxy: connection {id}: client→server: {err}");
                false
            }
        }
    };
    let down = async {
        if let Err(err) = tokio::io::copy(&mut server_read, &mut client_write).await {
            eprintln!("fault proxy: connection {id}: server→client: {err}");
        }
    };
    let cut = tokio::select! {
        () = link.stop.cancelled() => false,
        cut = up => cut,
        () = down => false,
    };
    if cut {
        shared.cuts.fetch_add(1, Ordering::SeqCst);
        eprintln!("fault proxy: connection {id}: cut as armed");
        // The client gets a reset, as when a network path dies; the server gets a plain EOF after
        // the bytes already forwarded.
        if let Err(err) = client.set_zero_linger() {
            eprintln!("fault proxy: connection {id}: cannot request a reset: {err}");
        }
    }
}

/// Copies client→server, counting bytes and scanning for `PATCH` request lines, until the client
/// stops sending (`Ok(false)`) or the fault's cut point is reached (`Ok(true)`).
async fn client_to_server(
    read: &mut ReadHalf<'_>,
    write: &mut WriteHalf<'_>,
    shared: &Shared,
    mut cut_at: Option<u64>,
) -> io::Result<bool> {
    let mut buf = vec![0; 64 * 1024];
    // The tail of earlier reads, so a marker split across two reads is found, then the new read.
    let mut window = Vec::with_capacity(buf.len() + PATCH_MARKER.len());
    let mut forwarded = 0u64;
    loop {
        if cut_at.is_some_and(|at| forwarded >= at) {
            return Ok(true);
        }
        let read_len = read.read(&mut buf).await?;
        if read_len == 0 {
            return Ok(false);
        }
        let carried = window.len() as u64;
        window.extend_from_slice(&buf[..read_len]);
        let matches = window.windows(PATCH_MARKER.len()).enumerate();
        for (pos, _) in matches.filter(|(_, bytes)| *bytes == PATCH_MARKER) {
            if let Some(after) = shared.claim(Trigger::Patch) {
                let request_start = forwarded + pos as u64 - carried;
                let at = request_start + after;
                cut_at = Some(cut_at.map_or(at, |earlier| earlier.min(at)));
            }
        }
        window.drain(..window.len().saturating_sub(PATCH_MARKER.len() - 1));

        let allowed = cut_at.map_or(read_len, |at| {
            usize::try_from(at.saturating_sub(forwarded))
                .map_or(read_len, |left| left.min(read_len))
        });
        write.write_all(&buf[..allowed]).await?;
        forwarded += allowed as u64;
        shared.bytes_up.fetch_add(allowed as u64, Ordering::SeqCst);
    }
}
