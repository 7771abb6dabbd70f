//! The SQLite database: opening it with the right pragmas, migrations, and time helpers.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// File name of the database inside the data dir.
pub const DB_FILE: &str = "mediasaur.db";

/// Opens (and with `create`, creates) the database and applies pending migrations.
pub async fn open(data_dir: &Path, create: bool) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(data_dir.join(DB_FILE))
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

/// Now, as stored in the database (RFC 3339, milliseconds, `Z`).
pub fn now_text() -> String {
    to_text(Utc::now())
}

/// A time as stored in the database.
pub fn to_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a stored time; a corrupt value reads as the epoch rather than failing a whole listing.
pub fn from_text(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    Utc::now().timestamp()
}

/// Whether `e` is a UNIQUE constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
