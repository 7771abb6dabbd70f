//! API keys: created once and shown once, stored as a SHA-256 hash plus the derived URL-signing key.

use mediasaur_api::signed_url::UrlSigningKey;
use mediasaur_api::{new_id, IdPrefix, API_KEY_PREFIX};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

use crate::db;

/// A key's public facts, as `keys list` shows them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct KeyInfo {
    /// `key_…`
    pub id: String,
    /// Free-form label.
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub hint: String,
    /// When it was created.
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

fn hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// Creates a key and returns `(id, secret)`; the secret is not stored and cannot be shown again.
/// With `replace`, other active keys of the same name are revoked in the same transaction.
pub async fn create(
    db: &SqlitePool,
    name: &str,
    replace: bool,
) -> Result<(String, String), sqlx::Error> {
    let id = new_id(IdPrefix::KeyId);
    let secret = new_id(IdPrefix::ApiKey);
    let hint = format!("{}…", &secret[..API_KEY_PREFIX.len() + 4]);
    let signing_key = UrlSigningKey::derive(&secret);
    let now = db::now_text();
    let mut tx = db.begin().await?;
    if replace {
        sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL")
            .bind(&now)
            .bind(name)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO api_keys (id, name, key_hash, signing_key, hint, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(name)
    .bind(hash(&secret))
    .bind(signing_key.as_bytes().as_slice())
    .bind(hint)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((id, secret))
}

/// Every key, newest first.
pub async fn list(db: &SqlitePool) -> Result<Vec<KeyInfo>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, hint, created_at, revoked_at FROM api_keys ORDER BY created_at DESC",
    )
    .fetch_all(db)
    .await
}

/// Revokes a key; tokens it minted stop working too. Returns whether an active key was revoked.
pub async fn revoke(db: &SqlitePool, id: &str) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(db::now_text())
            .bind(id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The id of the active key `secret` is, if any.
pub async fn authenticate(db: &SqlitePool, secret: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL")
        .bind(hash(secret))
        .fetch_optional(db)
        .await
}

/// Every active key's `(id, URL-signing key)`.
pub async fn active_signing_keys(
    db: &SqlitePool,
) -> Result<Vec<(String, UrlSigningKey)>, sqlx::Error> {
    let rows: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT id, signing_key FROM api_keys WHERE revoked_at IS NULL")
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, bytes)| Some((id, UrlSigningKey::from_bytes(bytes.try_into().ok()?))))
        .collect())
}

/// One active key's URL-signing key.
pub async fn signing_key(db: &SqlitePool, id: &str) -> Result<Option<UrlSigningKey>, sqlx::Error> {
    let bytes: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT signing_key FROM api_keys WHERE id = ? AND revoked_at IS NULL")
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(bytes.and_then(|b| Some(UrlSigningKey::from_bytes(b.try_into().ok()?))))
}
