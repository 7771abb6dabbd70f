//! Buckets: named namespaces of files, private (signed GET only) or public.

use mediasaur_api::BucketName;
use serde::Serialize;
use sqlx::SqlitePool;

use crate::db;

/// A bucket as `buckets list` shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Bucket {
    /// The name.
    pub name: String,
    /// Whether anyone may GET its files without a signature.
    pub public: bool,
    /// When it was created.
    pub created_at: String,
}

/// Creates a bucket; `Ok(false)` when the name is taken.
pub async fn create(db: &SqlitePool, name: &BucketName, public: bool) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO buckets (name, public, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(name.as_str())
    .bind(public)
    .bind(db::now_text())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every bucket by name.
pub async fn list(db: &SqlitePool) -> Result<Vec<Bucket>, sqlx::Error> {
    sqlx::query_as("SELECT name, public, created_at FROM buckets ORDER BY name")
        .fetch_all(db)
        .await
}

/// One bucket.
pub async fn get(db: &SqlitePool, name: &BucketName) -> Result<Option<Bucket>, sqlx::Error> {
    sqlx::query_as("SELECT name, public, created_at FROM buckets WHERE name = ?")
        .bind(name.as_str())
        .fetch_optional(db)
        .await
}
