//! What a person does with an uploaded file: share it with a signed link, find it on disk, delete
//! it from the server; and which local file may stand in as its thumbnail.

use std::path::PathBuf;

use mediasaur_api::signed_url::SignedMethod;
use mediasaur_api::{ErrorCode, FileKind};
use url::Url;

use super::{Session, SessionEvent};
use crate::error::{ClientError, ClientResult};
use crate::store::history::HistoryEntry;
use crate::store::search::{HistoryPage, HistoryQuery};
use crate::store::share::ShareLink;

/// What [`Session::share_link`] made: the link as recorded with its entry.
pub type ShareLinkMade = ShareLink;

/// File name extensions the thumbnail handler serves (raster images a web view can show).
const THUMBNAIL_TYPES: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("bmp", "image/bmp"),
    ("avif", "image/avif"),
];

impl Session {
    /// A page of the history.
    pub async fn search_history(&self, query: &HistoryQuery) -> ClientResult<HistoryPage> {
        self.database().search_history(query).await
    }

    /// Signs a `GET` link to history entry `id`'s file, valid `expires_in` seconds, and records it.
    pub async fn share_link(&self, id: i64, expires_in: u64) -> ClientResult<ShareLinkMade> {
        if expires_in == 0 || expires_in > crate::settings::MAX_LINK_EXPIRY {
            return Err(ClientError::invalid(
                ErrorCode::InvalidRequest,
                "a link must expire between 1 second and 365 days from now",
            ));
        }
        let entry = self.database().history_entry(id).await?;
        let url = self
            .signed_get(
                &entry.profile,
                &entry.file.bucket,
                &entry.file.path,
                expires_in,
            )
            .await?;
        let expires_at = chrono::Utc::now().timestamp_millis()
            + i64::try_from(expires_in * 1000).unwrap_or(i64::MAX);
        self.database()
            .record_share_link(id, url.as_str(), expires_at)
            .await
    }

    /// A signed `GET` URL for `bucket/path` with profile `profile`'s key (no network).
    pub(super) async fn signed_get(
        &self,
        profile: &str,
        bucket: &str,
        path: &str,
        expires_in: u64,
    ) -> ClientResult<Url> {
        self.client_for(profile)
            .await?
            .sign_url(SignedMethod::Get, bucket, path, expires_in, None)
    }

    /// The entry's File URL, to open in a browser.
    pub async fn file_url(&self, id: i64) -> ClientResult<String> {
        Ok(self.database().history_entry(id).await?.file.url)
    }

    /// The local file entry `id` was uploaded from, when it still exists (`source_missing` when it
    /// was moved or deleted, `not_found` when the upload did not come from a local file).
    pub async fn local_source(&self, id: i64) -> ClientResult<PathBuf> {
        let entry = self.database().history_entry(id).await?;
        let source = entry.source.ok_or_else(|| ClientError::NotFound {
            what: format!("a local file for history entry {id}"),
        })?;
        match tokio::fs::metadata(&source).await {
            Ok(metadata) if metadata.is_file() => Ok(source),
            _ => Err(ClientError::SourceMissing { path: source }),
        }
    }

    /// Deletes entry `id`'s File on the server, then forgets the entry. A File the server no
    /// longer has is forgotten too.
    pub async fn delete_remote_file(&self, id: i64) -> ClientResult<()> {
        let entry: HistoryEntry = self.database().history_entry(id).await?;
        let client = self.client_for(&entry.profile).await?;
        match client.delete_file(&entry.file.id).await {
            Ok(_) => {}
            Err(error) if error.api_code() == Some(ErrorCode::NotFound) => {}
            Err(error) => return Err(error),
        }
        self.database().delete_history_entry(id).await?;
        self.emit(SessionEvent::HistoryChanged);
        Ok(())
    }

    /// The local image that can stand in as a thumbnail for a history entry (`transfer: false`)
    /// or a transfer, and its MIME type; `None` when there is none (not an image, or gone).
    pub async fn thumbnail_source(
        &self,
        transfer: bool,
        id: i64,
    ) -> ClientResult<Option<(PathBuf, &'static str)>> {
        let source = if transfer {
            Some(self.database().transfer(id).await?.source)
        } else {
            let entry = self.database().history_entry(id).await?;
            entry.source.filter(|_| entry.file.kind == FileKind::Image)
        };
        let Some(source) = source else {
            return Ok(None);
        };
        let Some(mime) = thumbnail_type(&source) else {
            return Ok(None);
        };
        Ok(tokio::fs::metadata(&source)
            .await
            .is_ok_and(|m| m.is_file())
            .then_some((source, mime)))
    }
}

fn thumbnail_type(path: &std::path::Path) -> Option<&'static str> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    THUMBNAIL_TYPES
        .iter()
        .find(|(ext, _)| *ext == extension)
        .map(|(_, mime)| *mime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_raster_images_are_thumbnails() {
        assert_eq!(thumbnail_type("a/b.PNG".as_ref()), Some("image/png"));
        assert_eq!(thumbnail_type("b.jpeg".as_ref()), Some("image/jpeg"));
        assert_eq!(thumbnail_type("c.svg".as_ref()), None);
        assert_eq!(thumbnail_type("d.mp4".as_ref()), None);
        assert_eq!(thumbnail_type("noext".as_ref()), None);
    }
}
