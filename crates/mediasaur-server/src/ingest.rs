//! Streams a request body into a file without holding it in memory: the network side batches chunks
//! into 1 MiB buffers and a blocking writer thread writes and hashes them, so reading, writing and
//! hashing overlap. Buffers go back to the network side once written, so a long upload reuses a few
//! mapped buffers instead of faulting in fresh pages for every MiB.

use std::fs::File;
use std::io::{self, Write};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

const BATCH: usize = 1024 * 1024;
const QUEUE: usize = 4;

/// A per-request checksum algorithm (tus `Upload-Checksum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

enum ChunkHasher {
    Sha1(Sha1),
    Sha256(Sha256),
}

impl ChunkHasher {
    fn new(algorithm: ChecksumAlgorithm) -> Self {
        match algorithm {
            ChecksumAlgorithm::Sha1 => Self::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => Self::Sha256(Sha256::new()),
        }
    }
    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Sha1(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
        }
    }
    fn finish(self) -> Vec<u8> {
        match self {
            Self::Sha1(h) => h.finalize().to_vec(),
            Self::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

/// Why reading the body stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestStop {
    /// More bytes arrived than `limit` allows; the excess was not written.
    TooLarge,
    /// The client's connection broke mid-body.
    Interrupted,
    /// The body stalled for longer than the idle timeout.
    TimedOut,
}

/// What one body wrote.
#[derive(Debug)]
pub struct Ingested {
    /// The file, positioned after the last byte written.
    pub file: File,
    /// Bytes written by this call.
    pub written: u64,
    /// The running whole-file hash, advanced by what was written.
    pub sha256: Option<Sha256>,
    /// Digest of this call's bytes, when a checksum algorithm was asked for.
    pub checksum: Option<Vec<u8>>,
    /// Set when the body did not end normally.
    pub stop: Option<IngestStop>,
}

/// Where the body goes and how it is checked.
#[derive(Debug)]
pub struct IngestTarget {
    /// Opened for writing at the position to append at.
    pub file: File,
    /// The whole-file hash so far, if known.
    pub sha256: Option<Sha256>,
    /// Digest this call's bytes too.
    pub checksum: Option<ChecksumAlgorithm>,
    /// Most bytes this call may write.
    pub limit: u64,
    /// Longest wait between two body chunks.
    pub idle_timeout: Duration,
}

/// Streams `body` into `target.file`, keeping what arrived even when the body breaks off.
pub async fn ingest<S, E>(body: S, target: IngestTarget) -> io::Result<Ingested>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let (tx, rx) = mpsc::channel::<Vec<u8>>(QUEUE);
    let (recycle_tx, recycle_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let IngestTarget {
        file,
        sha256,
        checksum,
        limit,
        idle_timeout,
    } = target;
    let writer =
        tokio::task::spawn_blocking(move || write_all(rx, &recycle_tx, file, sha256, checksum));

    let stop = pump(body, &tx, recycle_rx, limit, idle_timeout).await;
    drop(tx);
    let (file, written, sha256, checksum) = writer
        .await
        .map_err(|e| io::Error::other(format!("writer task failed: {e}")))??;
    Ok(Ingested {
        file,
        written,
        sha256,
        checksum,
        stop,
    })
}

async fn pump<S, E>(
    mut body: S,
    tx: &mpsc::Sender<Vec<u8>>,
    mut recycled: mpsc::UnboundedReceiver<Vec<u8>>,
    limit: u64,
    idle_timeout: Duration,
) -> Option<IngestStop>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let mut batch = Vec::with_capacity(BATCH);
    let mut received: u64 = 0;
    let stop = loop {
        let chunk = match tokio::time::timeout(idle_timeout, body.next()).await {
            Err(_) => break Some(IngestStop::TimedOut),
            Ok(None) => break None,
            Ok(Some(Err(_))) => break Some(IngestStop::Interrupted),
            Ok(Some(Ok(chunk))) => chunk,
        };
        received += chunk.len() as u64;
        if received > limit {
            break Some(IngestStop::TooLarge);
        }
        batch.extend_from_slice(&chunk);
        if batch.len() >= BATCH {
            let next = recycled
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(BATCH));
            if tx.send(std::mem::replace(&mut batch, next)).await.is_err() {
                // The writer failed; its error is reported when it is joined.
                return None;
            }
        }
    };
    if !batch.is_empty() {
        let _ = tx.send(batch).await;
    }
    stop
}

type Written = (File, u64, Option<Sha256>, Option<Vec<u8>>);

fn write_all(
    mut rx: mpsc::Receiver<Vec<u8>>,
    recycle: &mpsc::UnboundedSender<Vec<u8>>,
    mut file: File,
    mut sha256: Option<Sha256>,
    checksum: Option<ChecksumAlgorithm>,
) -> io::Result<Written> {
    let mut chunk_hasher = checksum.map(ChunkHasher::new);
    let mut written = 0u64;
    while let Some(buf) = rx.blocking_recv() {
        file.write_all(&buf)?;
        if let Some(h) = sha256.as_mut() {
            h.update(&buf);
        }
        if let Some(h) = chunk_hasher.as_mut() {
            h.update(&buf);
        }
        written += buf.len() as u64;
        let mut buf = buf;
        buf.clear();
        // The network side may have finished already; then the buffer is simply freed.
        let _ = recycle.send(buf);
    }
    Ok((file, written, sha256, chunk_hasher.map(ChunkHasher::finish)))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek};

    use super::*;

    fn target(file: File, limit: u64) -> IngestTarget {
        IngestTarget {
            file,
            sha256: Some(Sha256::new()),
            checksum: Some(ChecksumAlgorithm::Sha1),
            limit,
            idle_timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn writes_and_hashes_everything() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let chunks: Vec<Result<Bytes, io::Error>> = data
            .chunks(65_536)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let file = tempfile::tempfile().unwrap();
        let out = ingest(futures_util::stream::iter(chunks), target(file, u64::MAX))
            .await
            .unwrap();
        assert_eq!(out.written, data.len() as u64);
        assert_eq!(out.stop, None);
        assert_eq!(
            out.sha256.unwrap().finalize().to_vec(),
            Sha256::digest(&data).to_vec()
        );
        assert_eq!(out.checksum.unwrap(), Sha1::digest(&data).to_vec());
        let mut file = out.file;
        file.rewind().unwrap();
        let mut back = Vec::new();
        file.read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
    }

    #[tokio::test]
    async fn keeps_what_arrived_before_a_break_and_stops_at_the_limit() {
        let chunks: Vec<Result<Bytes, io::Error>> = vec![
            Ok(Bytes::from_static(b"hello ")),
            Err(io::Error::other("reset")),
            Ok(Bytes::from_static(b"never")),
        ];
        let file = tempfile::tempfile().unwrap();
        let out = ingest(futures_util::stream::iter(chunks), target(file, u64::MAX))
            .await
            .unwrap();
        assert_eq!((out.written, out.stop), (6, Some(IngestStop::Interrupted)));

        let chunks: Vec<Result<Bytes, io::Error>> = vec![
            Ok(Bytes::from_static(b"12345")),
            Ok(Bytes::from_static(b"678")),
        ];
        let file = tempfile::tempfile().unwrap();
        let out = ingest(futures_util::stream::iter(chunks), target(file, 6))
            .await
            .unwrap();
        assert_eq!((out.written, out.stop), (5, Some(IngestStop::TooLarge)));
    }
}
