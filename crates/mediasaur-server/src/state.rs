//! Shared server state, injected into every handler through axum's `State`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use mediasaur_api::signed_url::host_of;
use rand::RngCore;
use sha2::Sha256;
use sqlx::SqlitePool;

use crate::blobs::BlobStore;
use crate::config::ServerConfig;
use crate::db;

/// The in-memory side of one tus upload: the lock that keeps one writer at a time, and the running
/// SHA-256 so completion need not re-read the file.
#[derive(Debug, Default)]
pub struct UploadSlot {
    /// The hash of the first `.0` bytes.
    pub sha256: Option<(u64, Sha256)>,
}

/// Cheap to clone; everything lives behind one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: ServerConfig,
    public_host: String,
    db: SqlitePool,
    blobs: BlobStore,
    token_secret: [u8; 32],
    uploads: Mutex<HashMap<String, Arc<tokio::sync::Mutex<UploadSlot>>>>,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("data_dir", &self.0.config.data_dir)
            .field("public_url", &self.0.config.public_url.as_str())
            .finish_non_exhaustive()
    }
}

/// Why the state could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// No database in the data dir.
    #[error("{0} is not an initialised data dir; run `mediasaur-server init` first")]
    NotInitialised(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The file areas failed.
    #[error("data dir: {0}")]
    Io(#[from] std::io::Error),
}

const TOKEN_SECRET: &str = "token_secret";

/// Reads the token-signing secret, creating a random one on first use.
pub(crate) async fn token_secret(db: &SqlitePool) -> Result<[u8; 32], sqlx::Error> {
    let mut fresh = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut fresh);
    sqlx::query("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING")
        .bind(TOKEN_SECRET)
        .bind(fresh.as_slice())
        .execute(db)
        .await?;
    let stored: Vec<u8> = sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
        .bind(TOKEN_SECRET)
        .fetch_one(db)
        .await?;
    stored
        .try_into()
        .map_err(|_| sqlx::Error::Protocol("the stored token secret is not 32 bytes".into()))
}

impl AppState {
    /// Opens an initialised data dir.
    pub async fn open(config: ServerConfig) -> Result<Self, OpenError> {
        if !config.data_dir.join(db::DB_FILE).exists() {
            return Err(OpenError::NotInitialised(
                config.data_dir.display().to_string(),
            ));
        }
        let db = db::open(&config.data_dir, false).await?;
        let blobs = BlobStore::open(&config.data_dir)?;
        blobs.clear_temp()?;
        let token_secret = token_secret(&db).await?;
        Ok(Self(Arc::new(Inner {
            public_host: host_of(&config.public_url),
            config,
            db,
            blobs,
            token_secret,
            uploads: Mutex::default(),
        })))
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.0.config
    }

    /// `host[:port]` of the public URL: what signed URLs are verified against.
    pub fn public_host(&self) -> &str {
        &self.0.public_host
    }

    /// The public URL without a trailing slash.
    pub fn public_base(&self) -> &str {
        self.0.config.public_url.as_str().trim_end_matches('/')
    }

    /// The database pool.
    pub fn db(&self) -> &SqlitePool {
        &self.0.db
    }

    /// The file areas.
    pub fn blobs(&self) -> &BlobStore {
        &self.0.blobs
    }

    /// The secret upload tokens are signed with.
    pub fn token_secret(&self) -> &[u8] {
        &self.0.token_secret
    }

    /// The in-memory slot of upload `id`, created on first use.
    pub fn upload_slot(&self, id: &str) -> Arc<tokio::sync::Mutex<UploadSlot>> {
        let mut slots = self.0.uploads.lock().expect("upload slots lock");
        slots.entry(id.to_owned()).or_default().clone()
    }

    /// Drops the in-memory slot of a finished, terminated or expired upload.
    pub fn forget_upload(&self, id: &str) {
        self.0.uploads.lock().expect("upload slots lock").remove(id);
    }
}
