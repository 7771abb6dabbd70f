//! Administration of a data dir: initialise it, manage keys and buckets. Used by the binary's
//! subcommands and by tests.

use std::path::Path;

use mediasaur_api::BucketName;
use sqlx::SqlitePool;

use crate::state::{token_secret, OpenError};
use crate::{blobs::BlobStore, buckets, db, keys};

/// The bucket `init` creates.
pub const DEFAULT_BUCKET: &str = "default";

/// Creates the data dir, database, token secret, `default` bucket and a first API key. Returns the key
/// when it created one, `None` when the dir was already initialised (nothing is changed then).
pub async fn init_data_dir(data_dir: &Path) -> Result<Option<String>, OpenError> {
    std::fs::create_dir_all(data_dir)?;
    restrict_permissions(data_dir)?;
    let pool = db::open(data_dir, true).await?;
    BlobStore::open(data_dir)?;
    token_secret(&pool).await?;
    let has_key: Option<String> = sqlx::query_scalar("SELECT id FROM api_keys LIMIT 1")
        .fetch_optional(&pool)
        .await?;
    if has_key.is_some() {
        return Ok(None);
    }
    let default = BucketName::parse(DEFAULT_BUCKET).expect("valid bucket name");
    buckets::create(&pool, &default, false).await?;
    let (_, secret) = keys::create(&pool, "default", false).await?;
    pool.close().await;
    Ok(Some(secret))
}

/// Opens an initialised data dir's database for an admin command.
pub async fn open_db(data_dir: &Path) -> Result<SqlitePool, OpenError> {
    if !data_dir.join(db::DB_FILE).exists() {
        return Err(OpenError::NotInitialised(data_dir.display().to_string()));
    }
    Ok(db::open(data_dir, false).await?)
}

#[cfg(unix)]
fn restrict_permissions(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn restrict_permissions(_: &Path) -> std::io::Result<()> {
    Ok(())
}
