//! Tests of `probe` and `serve_as_attachment` on fixtures built in code; images, documents and text here.

mod av;
mod fixtures;
mod hostile;

use std::io::{Seek, SeekFrom, Write};

use mediasaur_api::FileKind::{self, Archive, Audio, Document, Image, Other, Video};

use self::fixtures::*;
use super::{kind_of, probe, serve_as_attachment, MediaInfo};

fn info(bytes: &[u8]) -> MediaInfo {
    Scratch::new().probe(bytes)
}

/// Probes `bytes` and checks every field of the result.
fn expect(
    bytes: &[u8],
    mime: &str,
    kind: FileKind,
    size: Option<(u32, u32)>,
    duration: Option<f64>,
) {
    let got = info(bytes);
    assert_eq!((got.mime.as_str(), got.kind), (mime, kind), "{got:?}");
    assert_eq!(got.width.zip(got.height), size, "{got:?}");
    match (got.duration, duration) {
        (Some(a), Some(b)) => assert!((a - b).abs() < 1e-6, "{got:?}, expected {b}"),
        (a, b) => assert_eq!(a, b, "{got:?}"),
    }
}
#[test]
fn raster_images() {
    expect(&png(3, 2), "image/png", Image, Some((3, 2)), None);
    expect(
        &jpeg(640, 480, 0),
        "image/jpeg",
        Image,
        Some((640, 480)),
        None,
    );
    expect(&gif(16, 9), "image/gif", Image, Some((16, 9)), None);
    expect(
        &webp(1920, 1080),
        "image/webp",
        Image,
        Some((1920, 1080)),
        None,
    );
    expect(
        &avif(4032, 3024),
        "image/avif",
        Image,
        Some((4032, 3024)),
        None,
    );
    expect(&bmp(33, 44), "image/bmp", Image, Some((33, 44)), None);
}

#[test]
fn jpeg_size_found_past_the_head() {
    let big = jpeg(1234, 567, 200_000);
    assert!(big.len() > 3 * 64 * 1024);
    expect(&big, "image/jpeg", Image, Some((1234, 567)), None);
}

#[test]
fn svg_is_an_image_served_as_attachment() {
    let svg = b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"480\"/>";
    expect(svg, "image/svg+xml", Image, Some((640, 480)), None);
    expect(
        b"<svg viewBox=\"0 0 10 10\"></svg>",
        "image/svg+xml",
        Image,
        None,
        None,
    );
    assert!(serve_as_attachment("image/svg+xml"));
}

#[test]
fn documents_archives_and_text() {
    expect(
        &zip_entry("word/document.xml", b"<w/>"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Document,
        None,
        None,
    );
    expect(
        &zip_entry("notes.txt", b"hello"),
        "application/zip",
        Archive,
        None,
        None,
    );
    expect(
        b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n",
        "application/pdf",
        Document,
        None,
        None,
    );
    expect(
        b"\x1F\x8B\x08\x00\x00\x00\x00\x00\x00\x03",
        "application/gzip",
        Archive,
        None,
        None,
    );
    expect(
        b"<!DOCTYPE html><title>x</title>",
        "text/html",
        Document,
        None,
        None,
    );
    expect(
        b"<?xml version=\"1.0\"?><a/>",
        "application/xml",
        Document,
        None,
        None,
    );
    expect(b"{\"ok\": true}", "application/json", Document, None, None);
    expect(b"just some words\n", "text/plain", Document, None, None);
    expect(
        b"\x00\x01\x02\x03binary",
        "application/octet-stream",
        Other,
        None,
        None,
    );
    expect(b"", "application/octet-stream", Other, None, None);
}

#[test]
fn legacy_office_by_ole_class_id() {
    let word = [
        0x06, 0x09, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ];
    expect(&ole(word), "application/msword", Document, None, None);
    let excel = [
        0x20, 0x08, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ];
    expect(
        &ole(excel),
        "application/vnd.ms-excel",
        Document,
        None,
        None,
    );
    expect(
        &ole([7; 16]),
        "application/x-ole-storage",
        Other,
        None,
        None,
    );
    expect(
        &ole(word)[..600],
        "application/x-ole-storage",
        Other,
        None,
        None,
    );
}

#[test]
fn probe_puts_the_cursor_back() {
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(&png(1, 1)).unwrap();
    file.seek(SeekFrom::Start(5)).unwrap();
    assert_eq!(probe(&mut file).unwrap().mime, "image/png");
    assert_eq!(file.stream_position().unwrap(), 5);
}

#[test]
fn attachment_types() {
    for mime in [
        "text/html",
        "TEXT/HTML; charset=utf-8",
        "application/xhtml+xml",
        "image/svg+xml",
        "application/xml",
        "text/xml",
        "application/rss+xml",
        "application/pdf",
        "application/javascript",
        "text/javascript",
        "text/css",
        "text/x-unknown",
        "multipart/related",
        "message/rfc822",
        "application/x-shockwave-flash",
        "",
        "garbage",
    ] {
        assert!(serve_as_attachment(mime), "{mime}");
    }
    for mime in [
        "image/png",
        "image/jpeg",
        "video/mp4",
        "audio/mpeg",
        "text/plain",
        "text/plain; charset=utf-8",
        "text/csv",
        "application/json",
        "application/octet-stream",
        "application/zip",
    ] {
        assert!(!serve_as_attachment(mime), "{mime}");
    }
}

#[test]
fn kinds() {
    assert_eq!(kind_of("application/x-7z-compressed"), Archive);
    assert_eq!(kind_of("application/zstd"), Archive);
    assert_eq!(kind_of("application/vnd.oasis.opendocument.text"), Document);
    assert_eq!(
        kind_of("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        Document
    );
    assert_eq!(kind_of("application/epub+zip"), Document);
    assert_eq!(kind_of("application/x-executable"), Other);
    assert_eq!(kind_of("application/font-woff"), Other);
}
