//! The local file being uploaded: its identity, change detection, hashing of ranges, and request
//! bodies that stream a range from disk through the bandwidth limit and the progress meter.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use super::progress::Progress;
use super::rate::BandwidthLimiter;
use super::resume::Fingerprint;
use crate::error::{blocking, ClientError, ClientResult};
use crate::http::BodyActivity;

/// Read size when hashing and sending.
pub(crate) const BLOCK: usize = 1024 * 1024;
/// How much of each end of the file the fingerprint hashes.
const EDGE: u64 = 1024 * 1024;
/// Blocks read ahead of the connection.
const READ_AHEAD: usize = 4;

/// A regular file as it was when its upload started.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub path: PathBuf,
    pub size: u64,
    modified_ns: i64,
}

/// The lowercase hex SHA-256 of a whole file (blocking: call it off the async threads).
pub(crate) fn sha256_of_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut block = vec![0; BLOCK];
    loop {
        match file.read(&mut block) {
            Ok(0) => return Ok(hex::encode(hasher.finalize())),
            Ok(read) => hasher.update(&block[..read]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// A file's mtime in nanoseconds since the Unix epoch (0 when the platform has none).
pub fn modified_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

impl Source {
    /// Opens `path` to check it is a readable regular file, and notes its size and mtime.
    pub fn open(path: &Path) -> ClientResult<Self> {
        let unreadable = |source| ClientError::reading(path, source);
        let file = File::open(path).map_err(unreadable)?;
        let meta = file.metadata().map_err(unreadable)?;
        if !meta.is_file() {
            return Err(unreadable(std::io::Error::other("not a regular file")));
        }
        Ok(Self {
            path: path.to_path_buf(),
            size: meta.len(),
            modified_ns: modified_ns(&meta),
        })
    }

    fn unreadable(&self, source: std::io::Error) -> ClientError {
        ClientError::reading(&self.path, source)
    }

    fn changed(&self) -> ClientError {
        ClientError::SourceChanged {
            path: self.path.clone(),
        }
    }

    /// Fails with `source_changed` if the file's size or mtime moved since [`Source::open`].
    pub fn check_unchanged(&self) -> ClientResult<()> {
        let meta = std::fs::metadata(&self.path).map_err(|e| self.unreadable(e))?;
        if meta.len() != self.size || modified_ns(&meta) != self.modified_ns {
            return Err(self.changed());
        }
        Ok(())
    }

    /// The fingerprint resume states are matched on.
    pub async fn fingerprint(&self) -> ClientResult<Fingerprint> {
        let source = self.clone();
        blocking(move || {
            let mut file = File::open(&source.path).map_err(|e| source.unreadable(e))?;
            let mut hasher = Sha256::new();
            source.hash_into(&mut file, 0, EDGE.min(source.size), &mut [&mut hasher])?;
            let tail = source.size.saturating_sub(EDGE);
            source.hash_into(&mut file, tail, source.size - tail, &mut [&mut hasher])?;
            Ok(Fingerprint {
                size: source.size,
                modified_ns: source.modified_ns,
                edges_sha256: hex::encode(hasher.finalize()),
            })
        })
        .await
    }

    fn hash_into(
        &self,
        file: &mut File,
        offset: u64,
        len: u64,
        hashers: &mut [&mut Sha256],
    ) -> ClientResult<()> {
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| self.unreadable(e))?;
        let mut buf = vec![0u8; BLOCK];
        let mut left = len;
        while left > 0 {
            let want = usize::try_from(left.min(BLOCK as u64)).unwrap_or(BLOCK);
            let got = file
                .read(&mut buf[..want])
                .map_err(|e| self.unreadable(e))?;
            if got == 0 {
                return Err(self.changed());
            }
            for hasher in hashers.iter_mut() {
                hasher.update(&buf[..got]);
            }
            left -= got as u64;
        }
        Ok(())
    }

    /// Feeds `offset..offset+len` into `file_hasher` and returns it with the range's own digest.
    pub async fn hash_range(
        &self,
        mut file_hasher: Sha256,
        offset: u64,
        len: u64,
    ) -> ClientResult<(Sha256, [u8; 32])> {
        let source = self.clone();
        blocking(move || {
            let mut file = File::open(&source.path).map_err(|e| source.unreadable(e))?;
            let mut range = Sha256::new();
            source.hash_into(&mut file, offset, len, &mut [&mut file_hasher, &mut range])?;
            Ok((file_hasher, range.finalize().into()))
        })
        .await
    }

    /// A request body streaming `offset..offset+len`, drawing on `limiter` and advancing `progress`
    /// per block; the activity tells [`crate::http::send_streaming`] whether it still moves. With `hash`,
    /// the receiver yields the SHA-256 of everything read once the body is done.
    pub fn body(
        &self,
        offset: u64,
        len: u64,
        limiter: &BandwidthLimiter,
        progress: &Progress,
        hash: bool,
    ) -> (
        reqwest::Body,
        oneshot::Receiver<ClientResult<[u8; 32]>>,
        BodyActivity,
    ) {
        let (blocks_tx, blocks_rx) = mpsc::channel::<ClientResult<Bytes>>(READ_AHEAD);
        let (digest_tx, digest_rx) = oneshot::channel();
        let block = limiter.block_size(BLOCK);
        let source = self.clone();
        // A plain thread-pool task reads ahead; it stops as soon as the body is dropped.
        tokio::task::spawn_blocking(move || {
            let outcome = source.read_blocks(offset, len, block, hash, &blocks_tx);
            match outcome {
                Ok(digest) => {
                    let _ = digest_tx.send(Ok(digest));
                }
                Err(error) => {
                    let _ = blocks_tx.blocking_send(Err(error));
                }
            }
        });
        let limiter = limiter.clone();
        let progress = progress.clone();
        let activity = BodyActivity::new();
        let watched = activity.clone();
        let stream = futures_util::stream::unfold(blocks_rx, move |mut rx| {
            let (limiter, progress, activity) =
                (limiter.clone(), progress.clone(), watched.clone());
            async move {
                let Some(item) = rx.recv().await else {
                    activity.finish();
                    return None;
                };
                let item = match item {
                    Ok(bytes) => {
                        limiter.acquire(bytes.len()).await;
                        progress.advance(bytes.len() as u64);
                        activity.touch();
                        Ok(bytes)
                    }
                    Err(error) => Err(std::io::Error::other(error.to_string())),
                };
                Some((item, rx))
            }
        });
        (reqwest::Body::wrap_stream(stream), digest_rx, activity)
    }

    fn read_blocks(
        &self,
        offset: u64,
        len: u64,
        block: usize,
        hash: bool,
        out: &mpsc::Sender<ClientResult<Bytes>>,
    ) -> ClientResult<[u8; 32]> {
        let mut file = File::open(&self.path).map_err(|e| self.unreadable(e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| self.unreadable(e))?;
        let mut hasher = hash.then(Sha256::new);
        let mut left = len;
        while left > 0 {
            let want = usize::try_from(left.min(block as u64)).unwrap_or(block);
            // read_to_end fills spare capacity without zeroing it first.
            let mut buf = Vec::with_capacity(want);
            (&mut file)
                .take(want as u64)
                .read_to_end(&mut buf)
                .map_err(|e| self.unreadable(e))?;
            if buf.len() < want {
                return Err(self.changed());
            }
            if let Some(hasher) = &mut hasher {
                hasher.update(&buf);
            }
            left -= want as u64;
            if out.blocking_send(Ok(Bytes::from(buf))).is_err() {
                return Err(ClientError::Interrupted);
            }
        }
        Ok(hasher.map(|h| h.finalize().into()).unwrap_or_default())
    }
}
