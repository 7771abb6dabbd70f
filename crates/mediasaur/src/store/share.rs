//! Share links: the signed GET URLs handed out for history entries, kept so the history can show
//! (and export) who was given what, and until when.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite};

use super::history::HistoryEntry;
use super::{database, now_ms, Database};
use crate::error::{ClientError, ClientResult};

/// A signed download URL given out for a history entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ShareLink {
    /// Local row id.
    pub id: i64,
    /// The signed URL.
    pub url: String,
    /// When the URL stops working, milliseconds since the Unix epoch.
    pub expires_at: i64,
    /// When it was made, milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// A history entry with the share links made for it, oldest first: what export and detail views show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntryWithLinks {
    /// The entry.
    #[serde(flatten)]
    pub entry: HistoryEntry,
    /// Its share links, oldest first.
    pub share_links: Vec<ShareLink>,
}

impl Database {
    /// Records that `url`, valid until `expires_at_ms`, was made for history entry `history_id`.
    /// An unknown entry is `not_found`.
    pub async fn record_share_link(
        &self,
        history_id: i64,
        url: &str,
        expires_at_ms: i64,
    ) -> ClientResult<ShareLink> {
        let created_at = now_ms();
        // INSERT … SELECT inserts nothing for an unknown entry, instead of failing on the foreign key.
        let id = sqlx::query_scalar!(
            r#"INSERT INTO share_links (history_id, url, expires_at, created_at)
               SELECT id, ?, ?, ? FROM history WHERE id = ?
               RETURNING id as "id!""#,
            url,
            expires_at_ms,
            created_at,
            history_id
        )
        .fetch_optional(self.writer())
        .await
        .map_err(database("recording a share link"))?
        .ok_or_else(|| ClientError::NotFound {
            what: format!("history entry {history_id}"),
        })?;
        Ok(ShareLink {
            id,
            url: url.to_owned(),
            expires_at: expires_at_ms,
            created_at,
        })
    }

    /// The share links of history entry `history_id`, oldest first (none for an unknown entry).
    pub async fn share_links(&self, history_id: i64) -> ClientResult<Vec<ShareLink>> {
        sqlx::query_as!(
            ShareLink,
            r#"SELECT id as "id!", url, expires_at, created_at FROM share_links
               WHERE history_id = ? ORDER BY id"#,
            history_id
        )
        .fetch_all(self.pool())
        .await
        .map_err(database("reading share links"))
    }

    /// The entry with row id `id` and its share links.
    pub async fn history_entry_with_links(&self, id: i64) -> ClientResult<HistoryEntryWithLinks> {
        let entry = self.history_entry(id).await?;
        let share_links = self.share_links(id).await?;
        Ok(HistoryEntryWithLinks { entry, share_links })
    }

    /// `entries` with their share links, in one query for the whole page.
    pub(crate) async fn with_share_links(
        &self,
        entries: Vec<HistoryEntry>,
    ) -> ClientResult<Vec<HistoryEntryWithLinks>> {
        let mut links = self.share_links_of(&entries).await?;
        Ok(entries
            .into_iter()
            .map(|entry| HistoryEntryWithLinks {
                share_links: links.remove(&entry.id).unwrap_or_default(),
                entry,
            })
            .collect())
    }

    async fn share_links_of(
        &self,
        entries: &[HistoryEntry],
    ) -> ClientResult<HashMap<i64, Vec<ShareLink>>> {
        let mut by_entry: HashMap<i64, Vec<ShareLink>> = HashMap::new();
        if entries.is_empty() {
            return Ok(by_entry);
        }
        let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT history_id, id, url, expires_at, created_at FROM share_links WHERE history_id IN (",
        );
        let mut ids = sql.separated(", ");
        for entry in entries {
            ids.push_bind(entry.id);
        }
        sql.push(") ORDER BY id");
        let rows: Vec<(i64, i64, String, i64, i64)> = sql
            .build_query_as()
            .fetch_all(self.pool())
            .await
            .map_err(database("reading share links"))?;
        for (history_id, id, url, expires_at, created_at) in rows {
            by_entry.entry(history_id).or_default().push(ShareLink {
                id,
                url,
                expires_at,
                created_at,
            });
        }
        Ok(by_entry)
    }
}
