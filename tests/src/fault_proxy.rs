//! A TCP proxy on 127.0.0.1 that forwards to a server and, when armed, cuts a connection mid-body or
//! corrupts one byte of a request in transit.
//!
//! Tests point a client at [`FaultProxy::url`] instead of the server, arm a fault such as
//! [`FaultProxy::cut_next_upload_after`] or [`FaultProxy::flip_put_byte`], and then read
//! [`FaultProxy::bytes_up`] to see how much the client sent, re-sends included. Each connection is
//! forwarded by its own task; dropping the proxy stops them all. A server whose public URL must be the
//! proxy's (signed URLs are verified against the public host) is started between
//! [`FaultProxy::bind`] and [`ProxyListener::forward_to`].

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

/// The start of an HTTP `PUT` request line (a signed `PUT` upload), found the same way.
const PUT_MARKER: &[u8] = b"PUT /";

/// What a fault waits for: a new connection, or a `PATCH` or `PUT` request line on any connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Connection,
    Patch,
    Put,
}

/// What a fault does once its byte count is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// Cut the connection: nothing more is forwarded.
    Cut,
    /// Invert the bits of that one byte and forward everything else unchanged.
    Flip,
}

/// An armed fault: the `nth` matching event (1 = the next) gets `action` applied after `after`
/// bytes client→server, counted from the start of that connection or request line.
#[derive(Debug)]
struct Fault {
    trigger: Trigger,
    action: Action,
    nth: usize,
    after: u64,
}

#[derive(Debug, Default)]
struct Shared {
    fault: Mutex<Option<Fault>>,
    bytes_up: AtomicU64,
    connections: AtomicUsize,
    cuts: AtomicUsize,
    flips: AtomicUsize,
}

impl Shared {
    fn fault(&self) -> MutexGuard<'_, Option<Fault>> {
        self.fault.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records one `trigger` event; returns the action and byte budget if it fires the armed fault.
    fn claim(&self, trigger: Trigger) -> Option<(Action, u64)> {
        let mut slot = self.fault();
        let fault = slot.as_mut().filter(|fault| fault.trigger == trigger)?;
        if fault.nth > 1 {
            fault.nth -= 1;
            return None;
        }
        slot.take().map(|fault| (fault.action, fault.after))
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

/// A proxy's socket, listening but not forwarding yet: its address is known before the upstream is,
/// so a server can be started with the proxy's URL as its public URL. Connections wait in the backlog
/// until [`ProxyListener::forward_to`].
#[derive(Debug)]
pub struct ProxyListener {
    listener: TcpListener,
    addr: SocketAddr,
}

impl ProxyListener {
    /// The address clients will connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>` followed by `path_and_query`.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }

    /// Starts forwarding every connection to `upstream`.
    pub fn forward_to(self, upstream: SocketAddr) -> FaultProxy {
        let link = Link {
            upstream,
            shared: Arc::default(),
            stop: CancellationToken::new(),
        };
        tokio::spawn(accept_loop(self.listener, link.clone()));
        FaultProxy {
            addr: self.addr,
            link,
        }
    }
}

impl FaultProxy {
    /// Listens on `127.0.0.1:<random port>` and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        Self::bind().await.forward_to(upstream)
    }

    /// Listens on `127.0.0.1:<random port>`; [`ProxyListener::forward_to`] starts forwarding.
    pub async fn bind() -> ProxyListener {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fault proxy");
        let addr = listener.local_addr().expect("fault proxy local addr");
        ProxyListener { listener, addr }
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
        self.arm(Trigger::Connection, Action::Cut, nth, bytes);
    }

    /// Cuts the connection carrying the `nth` `PATCH` request from now on (1 = the next) once
    /// `bytes` of it, counted from its request line, have been forwarded. Replaces any fault not
    /// fired yet.
    pub fn cut_upload_after(&self, nth: usize, bytes: u64) {
        self.arm(Trigger::Patch, Action::Cut, nth, bytes);
    }

    /// Cuts the connection carrying the next `PATCH` request once `bytes` of it are forwarded.
    pub fn cut_next_upload_after(&self, bytes: u64) {
        self.cut_upload_after(1, bytes);
    }

    /// Corrupts the `nth` `PATCH` request from now on (1 = the next): the byte `at` bytes after the start
    /// of its request line is inverted; everything else passes unchanged and the connection stays up.
    /// `at` should point past the request's headers, into its body. Replaces any fault not fired yet.
    pub fn flip_upload_byte(&self, nth: usize, at: u64) {
        self.arm(Trigger::Patch, Action::Flip, nth, at);
    }

    /// Like [`FaultProxy::flip_upload_byte`], for the `nth` `PUT` request (a signed `PUT` upload).
    pub fn flip_put_byte(&self, nth: usize, at: u64) {
        self.arm(Trigger::Put, Action::Flip, nth, at);
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

    /// Bytes corrupted by a fault so far.
    pub fn flips(&self) -> usize {
        self.link.shared.flips.load(Ordering::SeqCst)
    }

    fn arm(&self, trigger: Trigger, action: Action, nth: usize, after: u64) {
        assert!(nth >= 1, "nth counts from 1");
        *self.link.shared.fault() = Some(Fault {
            trigger,
            action,
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
    // A connection fault flips or cuts relative to the connection's first byte.
    let (cut_at, flip_at) = match shared.claim(Trigger::Connection) {
        Some((Action::Cut, at)) => (Some(at), None),
        Some((Action::Flip, at)) => (None, Some(at)),
        None => (None, None),
    };
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();

    // Resolves to whether the fault cut the connection.
    let up = async {
        let faults = Faults {
            cut_at,
            flips: flip_at.into_iter().collect(),
        };
        match client_to_server(&mut client_read, &mut server_write, shared, faults).await {
            Ok(true) => true,
            Ok(false) => {
                // The client finished sending: half-close likewise and keep relaying the response.
                let _ = server_write.shutdown().await;
                std::future::pending().await
            }
            Err(err) => {
                // The server may have answered early (e.g. 409 before reading a body) and closed
                // its side: its answer must still reach the client, as without a proxy.
                eprintln!("fault proxy: connection {id}: client→server: {err}");
                std::future::pending().await
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

/// Where, counted in bytes forwarded on one connection, its armed faults strike.
#[derive(Debug, Default)]
struct Faults {
    cut_at: Option<u64>,
    /// Positions of bytes still to invert.
    flips: Vec<u64>,
}

/// Copies client→server, counting bytes and scanning for `PATCH` and `PUT` request lines, until the
/// client stops sending (`Ok(false)`) or the fault's cut point is reached (`Ok(true)`). Bytes at flip
/// points are inverted on their way through.
async fn client_to_server(
    read: &mut ReadHalf<'_>,
    write: &mut WriteHalf<'_>,
    shared: &Shared,
    mut faults: Faults,
) -> io::Result<bool> {
    let mut buf = vec![0; 64 * 1024];
    // The tail of earlier reads, so a marker split across two reads is found, then the new read.
    let longest = PATCH_MARKER.len().max(PUT_MARKER.len());
    let mut window = Vec::with_capacity(buf.len() + longest);
    let mut forwarded = 0u64;
    loop {
        if faults.cut_at.is_some_and(|at| forwarded >= at) {
            return Ok(true);
        }
        let read_len = read.read(&mut buf).await?;
        if read_len == 0 {
            return Ok(false);
        }
        let carried = window.len() as u64;
        window.extend_from_slice(&buf[..read_len]);
        for (marker, trigger) in [(PATCH_MARKER, Trigger::Patch), (PUT_MARKER, Trigger::Put)] {
            let matches = window.windows(marker.len()).enumerate();
            for (pos, _) in matches.filter(|(_, bytes)| *bytes == marker) {
                // A marker wholly inside the carried tail was seen by the previous read already.
                if pos + marker.len() <= carried as usize {
                    continue;
                }
                let request_start = forwarded + pos as u64 - carried;
                match shared.claim(trigger) {
                    Some((Action::Cut, after)) => {
                        let at = request_start + after;
                        faults.cut_at = Some(faults.cut_at.map_or(at, |earlier| earlier.min(at)));
                    }
                    // Past the marker, so the byte is never one already forwarded.
                    Some((Action::Flip, after)) => faults
                        .flips
                        .push(request_start + after.max(marker.len() as u64)),
                    None => {}
                }
            }
        }
        window.drain(..window.len().saturating_sub(longest - 1));

        let allowed = faults.cut_at.map_or(read_len, |at| {
            usize::try_from(at.saturating_sub(forwarded))
                .map_or(read_len, |left| left.min(read_len))
        });
        let end = forwarded + allowed as u64;
        faults.flips.retain(|&at| {
            if (forwarded..end).contains(&at) {
                let index = usize::try_from(at - forwarded).expect("within this read");
                buf[index] = !buf[index];
                shared.flips.fetch_add(1, Ordering::SeqCst);
                false
            } else {
                true
            }
        });
        write.write_all(&buf[..allowed]).await?;
        forwarded = end;
        shared.bytes_up.fetch_add(allowed as u64, Ordering::SeqCst);
    }
}
