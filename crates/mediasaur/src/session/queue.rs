//! The queue as a UI drives it: add dropped, picked or pasted paths to a target, act on one
//! transfer or all of them, list and count.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Session, SessionEvent};
use crate::error::{blocking, ClientError, ClientResult};
use crate::intake::{plan_uploads, IntakeFailure, IntakeTarget};
use crate::store::queue::{Enqueued, Transfer, TransferCounts, TransferQuery, TransferState};
use crate::transfers::{cancel_transfer, QueueEvent};
use crate::Strategy;

/// Where added files go; `None` parts take the profile's defaults (the default profile's, when
/// no profile is named).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UploadTarget {
    /// Profile name.
    pub profile: Option<String>,
    /// Bucket.
    pub bucket: Option<String>,
    /// Prefix.
    pub prefix: Option<String>,
}

/// What adding paths did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AddReport {
    /// New transfers.
    pub queued: u64,
    /// Files already waiting in the queue for the same destination.
    pub already_queued: u64,
    /// What cannot be uploaded, file by file.
    pub failures: Vec<IntakeFailure>,
    /// What was skipped on purpose.
    pub warnings: Vec<String>,
}

/// What a person can do to a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TransferAction {
    /// Hold it, keeping what the server acknowledged.
    Pause,
    /// Queue a paused one again.
    Resume,
    /// Queue a failed or canceled one again.
    Retry,
    /// Stop it for good (its tus upload is dropped on the server).
    Cancel,
}

impl TransferAction {
    /// The state pause, resume and retry move a transfer to (cancel has its own path).
    fn target(self) -> TransferState {
        match self {
            Self::Pause => TransferState::Paused,
            Self::Cancel => TransferState::Canceled,
            Self::Resume | Self::Retry => TransferState::Queued,
        }
    }

    /// The states this action applies to.
    fn applies_to(self) -> &'static [TransferState] {
        use TransferState::*;
        match self {
            Self::Pause => &[Queued, Running],
            Self::Resume => &[Paused],
            Self::Retry => &[Failed, Canceled],
            Self::Cancel => &[Queued, Running, Paused, Failed],
        }
    }
}

impl Session {
    /// Queues every file under `paths` for `target`; folders keep their relative paths. Files that
    /// cannot be uploaded are reported one by one and the rest are queued.
    pub async fn add_paths(
        &self,
        paths: Vec<PathBuf>,
        target: UploadTarget,
    ) -> ClientResult<AddReport> {
        let stores = self.stores().clone();
        let intake = blocking(move || {
            let profile = stores.profiles.get(target.profile.as_deref())?;
            let target = IntakeTarget::for_profile(
                &profile,
                target.bucket.as_deref(),
                target.prefix.as_deref(),
            )?;
            Ok(plan_uploads(&paths, &target, Strategy::Auto, None))
        })
        .await?;
        let mut report = AddReport {
            failures: intake.failures,
            warnings: intake.warnings,
            ..AddReport::default()
        };
        for enqueued in self.database().enqueue(&intake.transfers).await? {
            match enqueued {
                Enqueued::New(_) => report.queued += 1,
                Enqueued::AlreadyQueued(_) => report.already_queued += 1,
            }
        }
        self.wake_runner();
        Ok(report)
    }

    /// Queues what the clipboard holds: `text` naming files (a file manager's `file://` URI list,
    /// or absolute paths, one per line), else an image, saved as a PNG under the data dir.
    pub async fn add_clipboard(
        &self,
        text: Option<String>,
        image: Option<ClipboardImage>,
        target: UploadTarget,
    ) -> ClientResult<AddReport> {
        let paths = text.as_deref().map(paths_in_text).unwrap_or_default();
        if !paths.is_empty() {
            return self.add_paths(paths, target).await;
        }
        let Some(image) = image else {
            return Err(ClientError::invalid(
                mediasaur_api::ErrorCode::InvalidRequest,
                "the clipboard holds no files and no image",
            ));
        };
        let dir = self.stores().data_dir.join("pasted");
        let stamp = chrono::Local::now().format("%Y-%m-%d %H.%M.%S%.3f");
        let path = dir.join(format!("Pasted image {stamp}.png"));
        let written = path.clone();
        blocking(move || {
            let failed = |source| ClientError::Unreadable {
                path: written.clone(),
                source,
            };
            std::fs::create_dir_all(&dir).map_err(failed)?;
            let file = std::fs::File::create(&written).map_err(failed)?;
            image
                .write_png(std::io::BufWriter::new(file))
                .map_err(failed)
        })
        .await?;
        self.add_paths(vec![path], target).await
    }

    /// A page of transfers, ids ascending.
    pub async fn transfers(&self, query: &TransferQuery) -> ClientResult<Vec<Transfer>> {
        self.database().transfers(query).await
    }

    /// Transfers per state.
    pub async fn transfer_counts(&self) -> ClientResult<TransferCounts> {
        self.database().transfer_counts().await
    }

    /// Applies `action` to transfer `id`; returns it as it now is.
    pub async fn transfer_action(&self, id: i64, action: TransferAction) -> ClientResult<Transfer> {
        let db = self.database();
        let transfer = match action {
            TransferAction::Cancel => {
                cancel_transfer(db, self.stores().credentials().as_ref(), id).await?
            }
            _ => {
                db.move_transfer(id, action.applies_to(), action.target())
                    .await?
            }
        };
        self.wake_runner();
        self.emit(SessionEvent::Queue {
            event: QueueEvent::Changed {
                transfer: Box::new(transfer.clone()),
                file: None,
            },
        });
        Ok(transfer)
    }

    /// Applies `action` to every transfer it applies to; returns how many changed. The UI hears
    /// one [`SessionEvent::QueueChanged`] rather than an event per row.
    pub async fn transfer_action_all(&self, action: TransferAction) -> ClientResult<u64> {
        let changed = if action == TransferAction::Cancel {
            self.cancel_all().await?
        } else {
            let mut changed = 0;
            for &from in action.applies_to() {
                changed += self
                    .database()
                    .move_all_transfers(from, action.target())
                    .await?;
            }
            changed
        };
        if changed > 0 {
            self.wake_runner();
            self.emit(SessionEvent::QueueChanged);
        }
        Ok(changed)
    }

    /// Cancels transfers one by one: each may have a tus upload on the server to drop.
    async fn cancel_all(&self) -> ClientResult<u64> {
        let credentials = self.stores().credentials();
        let mut ids = Vec::new();
        let mut query = TransferQuery {
            states: TransferAction::Cancel.applies_to().to_vec(),
            after: None,
            limit: Some(1000),
        };
        loop {
            let page = self.database().transfers(&query).await?;
            let Some(last) = page.last() else { break };
            query.after = Some(last.id);
            ids.extend(page.iter().map(|t| t.id));
        }
        let mut changed = 0;
        for id in ids {
            match cancel_transfer(self.database(), credentials.as_ref(), id).await {
                Ok(_) => changed += 1,
                // Finished or changed elsewhere in between: nothing to do for it.
                Err(ClientError::InvalidState(_) | ClientError::NotFound { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(changed)
    }

    /// Removes done and canceled rows from the queue (the history keeps the uploads).
    pub async fn clear_finished(&self) -> ClientResult<u64> {
        self.database().clear_finished_transfers().await
    }
}

/// An image from the clipboard: 8-bit RGBA pixels, row by row.
#[derive(Debug, Clone)]
pub struct ClipboardImage {
    /// `width * height * 4` bytes.
    pub rgba: Vec<u8>,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
}

impl ClipboardImage {
    fn write_png(&self, out: impl std::io::Write) -> std::io::Result<()> {
        let expected = u64::from(self.width) * u64::from(self.height) * 4;
        if self.width == 0 || self.height == 0 || self.rgba.len() as u64 != expected {
            return Err(std::io::Error::other("the clipboard image is malformed"));
        }
        let mut encoder = png::Encoder::new(out, self.width, self.height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
        writer
            .write_image_data(&self.rgba)
            .map_err(std::io::Error::other)?;
        writer.finish().map_err(std::io::Error::other)
    }
}

/// Local files named in clipboard text: `file://` URIs (percent-decoded) or absolute paths, one
/// per line; lines that are neither, or name nothing that exists, are ignored.
fn paths_in_text(text: &str) -> Vec<PathBuf> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            if line.starts_with("file://") {
                url::Url::parse(line).ok()?.to_file_path().ok()
            } else {
                Some(PathBuf::from(line)).filter(|p| p.is_absolute())
            }
        })
        .filter(|path| Path::exists(path))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipboard_images_become_pngs_and_malformed_ones_are_refused() {
        let image = ClipboardImage {
            rgba: vec![255; 3 * 2 * 4],
            width: 3,
            height: 2,
        };
        let mut png = Vec::new();
        image.write_png(&mut png).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(imagesize::blob_size(&png).unwrap().width, 3);
        let short = ClipboardImage {
            rgba: vec![0; 5],
            ..image
        };
        assert!(short.write_png(Vec::new()).is_err());
    }

    #[test]
    fn clipboard_text_names_existing_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let spaced = dir.path().join("a b.png");
        std::fs::write(&spaced, b"x").unwrap();
        let plain = dir.path().join("c.txt");
        std::fs::write(&plain, b"x").unwrap();
        let uri = url::Url::from_file_path(&spaced).unwrap();
        let text = format!(
            "copy\n{uri}\n{}\n# comment\nrelative.txt\n{}\n",
            plain.display(),
            dir.path().join("missing").display()
        );
        assert_eq!(paths_in_text(&text), vec![spaced, plain]);
        assert!(paths_in_text("just some words").is_empty());
    }
}
