//! The one local SQLite database (WAL mode, migrations in the crate): the transfer queue, the history
//! of uploaded File objects with their share links, and the watched folders. No secret goes into it.

mod claims;
pub mod export;
pub mod history;
pub mod queue;
pub mod requests;
mod resume_store;
pub mod search;
pub mod share;
pub mod watches;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::error::{ClientError, ClientResult};

pub(crate) use claims::new_runner_id;
pub use resume_store::SqliteResumeStore;

/// The schema, applied on open. Each file in `migrations/` is one release's change.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "mediasaur.sqlite3";

/// A handle on the local database; cheap to clone (a connection pool).
#[derive(Debug, Clone)]
pub struct Database {
    pool: SqlitePool,
    /// One connection for every write of this process: writers queue here, in order, instead of
    /// contending for SQLite's write lock, whose busy handler sleeps a millisecond or more per try.
    writer: SqlitePool,
    path: PathBuf,
}

impl Database {
    /// The platform data directory (`~/.local/share/mediasaur` on Linux).
    pub fn default_dir() -> ClientResult<PathBuf> {
        directories::ProjectDirs::from("", "", "mediasaur")
            .map(|dirs| dirs.data_dir().to_path_buf())
            .ok_or_else(|| ClientError::Config("cannot find a home directory for the data".into()))
    }

    /// Opens (creating it and its directory if needed) the database in `dir` and brings its schema up
    /// to date.
    pub async fn open_in(dir: &Path) -> ClientResult<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            ClientError::Config(format!(
                "cannot create the data directory {}: {e}",
                dir.display()
            ))
        })?;
        Self::open(&dir.join(DATABASE_FILE)).await
    }

    /// Opens (creating it if needed) the database file at `path` and applies pending migrations.
    pub async fn open(path: &Path) -> ClientResult<Self> {
        let db = Self::open_unmigrated(path).await?;
        // Two processes opening a new database at once (the app and the CLI) race to create it; the
        // loser's migration fails on tables that now exist, and finds nothing left to do on retry.
        let mut tries = 0;
        loop {
            match MIGRATOR.run(&db.writer).await {
                Ok(()) => return Ok(db),
                Err(_) if tries < 3 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
                Err(error) => {
                    return Err(database("applying migrations")(sqlx::Error::from(error)))
                }
            }
        }
    }

    /// Opens the file without touching its schema (for migration tests).
    pub async fn open_unmigrated(path: &Path) -> ClientResult<Self> {
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(database("configuring the database"))?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL loses nothing when the process dies; only a power cut can lose the
            // last commits, never corrupt the file.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Another process (the app and the CLI) may hold the write lock for a moment.
            .busy_timeout(Duration::from_secs(10))
            // Reads of a large history come from the page cache instead of copies through read();
            // a history search over a million rows measured ~30% faster.
            .pragma("mmap_size", "268435456");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await
            .map_err(database("opening the database"))?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(database("opening the database"))?;
        Ok(Self {
            pool,
            writer,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection pool, for the store's modules and for tests.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The one connection this process writes through.
    pub(crate) fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// Starts a write transaction holding the write lock from its first statement. A deferred one
    /// that reads first fails with "database is locked" when another connection wrote meanwhile,
    /// without waiting: SQLite cannot upgrade its stale snapshot.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }

    /// Waits for every connection to close (checkpointing the WAL).
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// Maps a sqlx error to a coded client error saying what was being done.
pub(crate) fn database(doing: &'static str) -> impl Fn(sqlx::Error) -> ClientError {
    move |error| match error {
        sqlx::Error::RowNotFound => ClientError::NotFound {
            what: doing.to_owned(),
        },
        other => ClientError::Database {
            doing,
            message: other.to_string(),
        },
    }
}

/// Milliseconds since the Unix epoch, the unit of every time column.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A path as the database stores it. Paths that are not UTF-8 are refused rather than mangled.
pub(crate) fn path_text(path: &Path) -> ClientResult<String> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| ClientError::Invalid {
            code: mediasaur_api::ErrorCode::InvalidPath,
            message: format!(
                "{} is not valid UTF-8; rename it to upload it from the queue",
                path.display()
            ),
        })
}
