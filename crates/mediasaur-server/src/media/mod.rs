//! What a stored file is, judged from its bytes alone: MIME type, kind, and cheap dimensions and duration.
//!
//! [`probe`] sniffs the first 64 KiB (magic numbers through `infer`, text formats by hand), then
//! reads just the container headers it needs with bounded seeks. Malformed or hostile files never
//! make it fail: they keep their MIME type and lose the numbers. Only disk errors are errors.

mod audio;
mod bmff;
mod ebml;
mod image;
mod sniff;
mod source;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{self, Seek, SeekFrom};

use mediasaur_api::FileKind;

use self::source::{Source, Stop, READ_BUDGET};

/// What [`probe`] learned about a file.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    /// MIME type derived from the bytes; `application/octet-stream` when unknown.
    pub mime: String,
    /// Broad family of the MIME type.
    pub kind: FileKind,
    /// Pixel width of an image, or of the first video track as displayed.
    pub width: Option<u32>,
    /// Pixel height of an image, or of the first video track as displayed.
    pub height: Option<u32>,
    /// Length in seconds of audio and video, when the container states it.
    pub duration: Option<f64>,
}

/// Derives the MIME type, kind, dimensions and duration of a complete file from its bytes.
///
/// Reads a head of at most 64 KiB plus bounded seeks into container boxes and elements (16 MiB
/// in all at most), never the whole file. The file's cursor is put back where it was. Only real
/// I/O errors are returned; unparsable content just leaves the numbers `None`.
pub fn probe(file: &mut File) -> io::Result<MediaInfo> {
    let start = file.stream_position()?;
    let info = inspect(&mut Source::new(file, READ_BUDGET)?);
    file.seek(SeekFrom::Start(start))?;
    info
}

/// True for MIME types a browser could run script from or render as an active document (HTML,
/// XHTML, SVG, any XML, PDF, JavaScript, Flash, MHTML, every `text/*` but plain text, CSV and
/// TSV), which must be served as `Content-Disposition: attachment`. Parameters and case are
/// ignored; a string that is not `type/subtype` counts as active.
pub fn serve_as_attachment(mime: &str) -> bool {
    let essence = mime.split(';').next().unwrap_or_default().trim();
    let essence = essence.to_ascii_lowercase();
    let Some((top, sub)) = essence.split_once('/') else {
        // Nothing we can vouch for.
        return true;
    };
    if sub.ends_with("+xml")
        || sub == "xml"
        || sub.contains("javascript")
        || sub.contains("ecmascript")
    {
        return true;
    }
    match top {
        "text" => !matches!(sub, "plain" | "csv" | "tab-separated-values"),
        "multipart" | "message" => true,
        "application" => matches!(sub, "pdf" | "x-pdf" | "x-shockwave-flash" | "futuresplash"),
        _ => false,
    }
}

/// Numbers a container parser collected, kept even when it stopped early.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) width: Option<u32>,
    pub(crate) height: Option<u32>,
    pub(crate) duration: Option<f64>,
    /// The container lists a video track.
    pub(crate) video_track: bool,
    /// The container lists an audio track.
    pub(crate) audio_track: bool,
}

impl Found {
    /// Records a picture size (both sides or neither); zero or oversized sides mean "not stated".
    pub(crate) fn set_size(&mut self, width: u64, height: u64) {
        if let (Ok(w @ 1..), Ok(h @ 1..)) = (u32::try_from(width), u32::try_from(height)) {
            self.width = Some(w);
            self.height = Some(h);
        }
    }

    /// Records a duration in seconds; zero, negative, infinite and NaN values are dropped.
    pub(crate) fn set_duration(&mut self, seconds: f64) {
        if seconds.is_finite() && seconds > 0.0 {
            self.duration = Some(seconds);
        }
    }
}

/// The sniff-then-parse pipeline behind [`probe`].
fn inspect(src: &mut Source<'_>) -> io::Result<MediaInfo> {
    let mime = sniff::detect(src)?;
    let mut found = Found::default();
    let parsed = match mime.as_str() {
        "image/svg+xml" => image::svg(src, &mut found),
        m if m.starts_with("image/") => image::raster(src, &mut found),
        "video/webm" | "video/x-matroska" => ebml::probe(src, &mut found),
        "audio/x-wav" => audio::wav(src, &mut found),
        "audio/x-flac" => audio::flac(src, &mut found),
        "video/mp4" | "video/x-m4v" | "video/quicktime" | "video/3gpp" | "video/3gpp2"
        | "audio/m4a" | "audio/mp4" => bmff::probe(src, &mut found),
        _ => Ok(()),
    };
    let mime = match parsed {
        // Only a track list read to its end can show that a video container holds no video.
        Ok(()) => audio_only(mime, &found),
        Err(Stop::Malformed) => mime,
        Err(Stop::Io(err)) => return Err(err),
    };
    Ok(MediaInfo {
        kind: kind_of(&mime),
        mime,
        width: found.width,
        height: found.height,
        duration: found.duration,
    })
}

/// A video container whose tracks are all audio is audio.
fn audio_only(mime: String, found: &Found) -> String {
    if found.video_track || !found.audio_track {
        return mime;
    }
    let audio = match mime.as_str() {
        "video/mp4" | "video/x-m4v" | "video/quicktime" => "audio/mp4",
        "video/3gpp" => "audio/3gpp",
        "video/3gpp2" => "audio/3gpp2",
        "video/webm" => "audio/webm",
        "video/x-matroska" => "audio/x-matroska",
        _ => return mime,
    };
    audio.to_owned()
}

/// The broad family of a MIME type.
fn kind_of(mime: &str) -> FileKind {
    const ARCHIVES: &[&str] = &[
        "application/zip",
        "application/x-tar",
        "application/gzip",
        "application/x-bzip2",
        "application/vnd.bzip3",
        "application/x-xz",
        "application/zstd",
        "application/x-7z-compressed",
        "application/vnd.rar",
        "application/x-lzip",
        "application/x-lz4",
        "application/x-compress",
        "application/x-cpio",
        "application/x-unix-archive",
        "application/vnd.ms-cab-compressed",
        "application/vnd.debian.binary-package",
        "application/x-rpm",
        "application/x-google-chrome-extension",
    ];
    const DOCUMENTS: &[&str] = &[
        "application/pdf",
        "application/json",
        "application/xml",
        "application/xhtml+xml",
        "application/rtf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/epub+zip",
        "application/x-mobipocket-ebook",
        "application/postscript",
    ];
    let (top, sub) = mime.split_once('/').unwrap_or((mime, ""));
    match top {
        "image" => return FileKind::Image,
        "video" => return FileKind::Video,
        "audio" => return FileKind::Audio,
        "text" => return FileKind::Document,
        _ => {}
    }
    if ARCHIVES.contains(&mime) {
        FileKind::Archive
    } else if DOCUMENTS.contains(&mime)
        || sub.starts_with("vnd.openxmlformats-officedocument.")
        || sub.starts_with("vnd.oasis.opendocument.")
    {
        FileKind::Document
    } else {
        FileKind::Other
    }
}
