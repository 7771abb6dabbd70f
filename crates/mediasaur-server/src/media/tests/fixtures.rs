//! Test fixtures built in code: small but well-formed images, containers, audio files and archives.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};

use super::{probe, MediaInfo};

/// One temporary file, rewritten for each probe.
pub(crate) struct Scratch(File);

impl Scratch {
    pub(crate) fn new() -> Self {
        Self(tempfile::tempfile().unwrap())
    }

    /// Probes `bytes` as a file; an error fails the test.
    pub(crate) fn probe(&mut self, bytes: &[u8]) -> MediaInfo {
        self.0.set_len(0).unwrap();
        self.0.seek(SeekFrom::Start(0)).unwrap();
        self.0.write_all(bytes).unwrap();
        self.0.seek(SeekFrom::Start(0)).unwrap();
        probe(&mut self.0)
            .unwrap_or_else(|err| panic!("probe failed on {} bytes: {err}", bytes.len()))
    }
}

/// CRC-32 (IEEE), as PNG and ZIP use it.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A decodable RGB PNG of `width` x `height` black pixels (zlib with one stored block).
pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        let crc = crc32(&out[start..]);
        out.extend(crc.to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    let raw = vec![0u8; (1 + 3 * width as usize) * height as usize]; // filter byte + pixels per row
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend((raw.len() as u16).to_le_bytes());
    zlib.extend((!(raw.len() as u16)).to_le_bytes());
    zlib.extend(&raw);
    zlib.extend(((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A baseline JPEG header: JFIF, `padding` bytes of APP1 segments, then SOF0 and EOI.
pub(crate) fn jpeg(width: u16, height: u16, padding: usize) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    out.extend([0xFF, 0xE0, 0x00, 0x10]);
    out.extend(b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
    let mut left = padding;
    while left > 0 {
        let n = left.min(60_000);
        out.extend([0xFF, 0xE1]);
        out.extend(((n + 2) as u16).to_be_bytes());
        out.extend(std::iter::repeat_n(0x20, n));
        left -= n;
    }
    out.extend([0xFF, 0xC0, 0x00, 0x11, 0x08]);
    out.extend(height.to_be_bytes());
    out.extend(width.to_be_bytes());
    out.extend([0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
    out.extend([0xFF, 0xD9]);
    out
}

/// A GIF89a header with an empty image list.
pub(crate) fn gif(width: u16, height: u16) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend(width.to_le_bytes());
    out.extend(height.to_le_bytes());
    out.extend([0x00, 0x00, 0x00, b';']);
    out
}

/// A WebP made of a lone VP8X (extended format) chunk.
pub(crate) fn webp(width: u32, height: u32) -> Vec<u8> {
    let mut chunk = b"VP8X".to_vec();
    chunk.extend(10u32.to_le_bytes());
    chunk.extend([0; 4]);
    chunk.extend(&(width - 1).to_le_bytes()[..3]);
    chunk.extend(&(height - 1).to_le_bytes()[..3]);
    let mut out = b"RIFF".to_vec();
    out.extend((4 + chunk.len() as u32).to_le_bytes());
    out.extend(b"WEBP");
    out.extend(chunk);
    out
}

/// A Windows BMP header (BITMAPINFOHEADER, 24 bits per pixel, no pixel data).
pub(crate) fn bmp(width: i32, height: i32) -> Vec<u8> {
    let mut out = b"BM".to_vec();
    out.extend(54u32.to_le_bytes());
    out.extend([0; 4]);
    out.extend(54u32.to_le_bytes());
    out.extend(40u32.to_le_bytes());
    out.extend(width.to_le_bytes());
    out.extend(height.to_le_bytes());
    out.extend(1u16.to_le_bytes());
    out.extend(24u16.to_le_bytes());
    out.extend([0; 24]);
    out
}

/// An ISO BMFF box.
pub(crate) fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut out = ((8 + payload.len()) as u32).to_be_bytes().to_vec();
    out.extend(kind);
    out.extend(payload);
    out
}

/// An ISO BMFF full box (version, zero flags).
pub(crate) fn full(kind: &[u8; 4], version: u8, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![version, 0, 0, 0];
    body.extend(payload);
    bx(kind, &body)
}

/// `ftyp` with a major brand and compatible brands.
pub(crate) fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
    let mut body = major.to_vec();
    body.extend([0, 0, 2, 0]);
    for brand in compatible {
        body.extend(*brand);
    }
    bx(b"ftyp", &body)
}

/// An AVIF still image header: `ftyp` plus `meta` with an `ispe` property.
pub(crate) fn avif(width: u32, height: u32) -> Vec<u8> {
    let mut ispe = width.to_be_bytes().to_vec();
    ispe.extend(height.to_be_bytes());
    let ipco = bx(b"ipco", &full(b"ispe", 0, &ispe));
    let mut meta = full(b"hdlr", 0, b"\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0");
    meta.extend(bx(b"iprp", &ipco));
    let mut out = ftyp(b"avif", &[b"mif1", b"avif", b"miaf"]);
    out.extend(full(b"meta", 0, &meta));
    out
}

/// The `tkhd` matrix of an upright picture.
pub(crate) const IDENTITY: [i32; 9] = [0x1_0000, 0, 0, 0, 0x1_0000, 0, 0, 0, 0x4000_0000];
/// The `tkhd` matrix of a picture turned a quarter turn.
pub(crate) const QUARTER_TURN: [i32; 9] = [0, 0x1_0000, 0, -0x1_0000, 0, 0, 0, 0, 0x4000_0000];

/// `mvhd` in version 0 (32-bit times) or 1 (64-bit times).
pub(crate) fn mvhd(version: u8, timescale: u32, duration: u64) -> Vec<u8> {
    let mut body = Vec::new();
    if version == 1 {
        body.extend([0; 16]);
        body.extend(timescale.to_be_bytes());
        body.extend(duration.to_be_bytes());
    } else {
        body.extend([0; 8]);
        body.extend(timescale.to_be_bytes());
        body.extend((duration as u32).to_be_bytes());
    }
    body.extend(0x1_0000u32.to_be_bytes()); // rate
    body.extend(0x0100u16.to_be_bytes()); // volume
    body.extend([0; 10]);
    body.extend(IDENTITY.iter().flat_map(|v| v.to_be_bytes()));
    body.extend([0; 24]);
    body.extend(3u32.to_be_bytes()); // next track id
    full(b"mvhd", version, &body)
}

/// A `trak` with a `tkhd` of the given display size and matrix, and a `hdlr` of the given type.
pub(crate) fn trak(
    version: u8,
    handler: &[u8; 4],
    width: u32,
    height: u32,
    matrix: [i32; 9],
) -> Vec<u8> {
    let mut tkhd = Vec::new();
    let times = if version == 1 { 16 } else { 8 };
    tkhd.extend(std::iter::repeat_n(0, times)); // creation, modification
    tkhd.extend(1u32.to_be_bytes()); // track id
    tkhd.extend([0; 4]);
    tkhd.extend(std::iter::repeat_n(0, times / 2)); // duration
    tkhd.extend([0; 8 + 8]); // reserved, layer, group, volume, reserved
    tkhd.extend(matrix.iter().flat_map(|v| v.to_be_bytes()));
    tkhd.extend((width << 16).to_be_bytes());
    tkhd.extend((height << 16).to_be_bytes());
    let mut hdlr = vec![0; 4];
    hdlr.extend(handler);
    hdlr.extend([0; 13]);
    let mut mdia = full(b"mdhd", 0, &[0; 20]);
    mdia.extend(full(b"hdlr", 0, &hdlr));
    mdia.extend(bx(b"minf", &[]));
    let mut body = full(b"tkhd", version, &tkhd);
    body.extend(bx(b"mdia", &mdia));
    bx(b"trak", &body)
}

/// An MP4 made of `ftyp`, an `mdat` of `mdat_len` bytes, and `moov` (before or after the `mdat`).
pub(crate) fn mp4(
    ftyp_box: &[u8],
    moov_children: &[Vec<u8>],
    mdat_len: usize,
    moov_first: bool,
) -> Vec<u8> {
    let moov = bx(b"moov", &moov_children.concat());
    let mdat = bx(b"mdat", &vec![0xAB; mdat_len]);
    let mut out = ftyp_box.to_vec();
    if moov_first {
        out.extend(moov);
        out.extend(mdat);
    } else {
        out.extend(mdat);
        out.extend(moov);
    }
    out
}

/// An EBML element with the smallest size field that fits.
pub(crate) fn el(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = id_bytes(id);
    let len = payload.len() as u64;
    let width = (1..=8u32).find(|&w| len < (1 << (7 * w)) - 1).unwrap_or(8);
    let size = len | (1 << (7 * width));
    out.extend(&size.to_be_bytes()[8 - width as usize..]);
    out.extend(payload);
    out
}

/// An EBML element with an 8-byte size field, as libebml writes the header.
pub(crate) fn el8(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = id_bytes(id);
    out.extend((payload.len() as u64 | (1 << 56)).to_be_bytes());
    out.extend(payload);
    out
}

/// An EBML element of unknown size (as live recorders write Segments and Clusters).
pub(crate) fn el_unknown(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = id_bytes(id);
    out.push(0xFF);
    out.extend(payload);
    out
}

fn id_bytes(id: u32) -> Vec<u8> {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().position(|&b| b != 0).unwrap_or(3);
    bytes[skip..].to_vec()
}

/// The EBML header of a file with the given DocType.
pub(crate) fn ebml_header(doc_type: &str) -> Vec<u8> {
    let children = [
        el(0x4286, &[1]),
        el(0x42F7, &[1]),
        el(0x42F2, &[4]),
        el(0x42F3, &[8]),
        el(0x4282, doc_type.as_bytes()),
    ];
    el8(0x1A45_DFA3, &children.concat())
}

/// `Info` with a timestamp scale (ns per tick) and a duration (ticks) as raw float bytes.
pub(crate) fn segment_info(scale: u64, duration: &[u8]) -> Vec<u8> {
    let mut body = el(0x2A_D7B1, &scale.to_be_bytes()[4..]);
    body.extend(el(0x4489, duration));
    body.extend(el(0x4D80, b"hand-made"));
    el(0x1549_A966, &body)
}

/// A `TrackEntry`: type 1 (video, with a pixel size) or 2 (audio).
pub(crate) fn track_entry(kind: u8, width: u16, height: u16) -> Vec<u8> {
    let mut body = el(0xD7, &[1]);
    body.extend(el(0x83, &[kind]));
    if kind == 1 {
        let mut video = el(0xB0, &width.to_be_bytes());
        video.extend(el(0xBA, &height.to_be_bytes()));
        body.extend(el(0xE0, &video));
    }
    el(0xAE, &body)
}

/// A `Cluster` holding one timestamp and some block bytes.
pub(crate) fn cluster(payload_len: usize) -> Vec<u8> {
    let mut body = el(0xE7, &[0]);
    body.extend(el(0xA3, &vec![0x55; payload_len]));
    el(0x1F43_B675, &body)
}

/// A 16-bit PCM WAV with a padded odd-sized `LIST` chunk before `data`.
pub(crate) fn wav(sample_rate: u32, channels: u16, data_len: usize) -> Vec<u8> {
    let mut fmt = 1u16.to_le_bytes().to_vec();
    fmt.extend(channels.to_le_bytes());
    fmt.extend(sample_rate.to_le_bytes());
    fmt.extend((sample_rate * u32::from(channels) * 2).to_le_bytes());
    fmt.extend((channels * 2).to_le_bytes());
    fmt.extend(16u16.to_le_bytes());
    let mut body = b"WAVE".to_vec();
    for (id, data) in [
        (b"fmt ", fmt),
        (b"LIST", b"abc".to_vec()),
        (b"data", vec![0; data_len]),
    ] {
        body.extend(id);
        body.extend((data.len() as u32).to_le_bytes());
        body.extend(&data);
        if data.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut out = b"RIFF".to_vec();
    out.extend((body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

/// A FLAC stream header: `fLaC` and a last-block STREAMINFO.
pub(crate) fn flac(sample_rate: u64, total_samples: u64) -> Vec<u8> {
    let mut out = b"fLaC".to_vec();
    out.extend([0x80, 0, 0, 34]);
    out.extend(4096u16.to_be_bytes());
    out.extend(4096u16.to_be_bytes());
    out.extend([0; 6]); // min and max frame size
    let packed = (sample_rate << 44) | (1 << 41) | (15 << 36) | total_samples; // stereo, 16-bit
    out.extend(packed.to_be_bytes());
    out.extend([0; 16]); // MD5
    out
}

/// A stored ZIP entry (local header and data only).
pub(crate) fn zip_entry(name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = b"PK\x03\x04".to_vec();
    out.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, stored, time, date
    out.extend(crc32(data).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out.extend((name.len() as u16).to_le_bytes());
    out.extend([0, 0]);
    out.extend(name.as_bytes());
    out.extend(data);
    out
}

/// An OLE compound file header whose root directory entry carries `clsid`.
pub(crate) fn ole(clsid: [u8; 16]) -> Vec<u8> {
    let mut out = vec![0u8; 3 * 512];
    out[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    out[0x1A..0x1C].copy_from_slice(&3u16.to_le_bytes());
    out[0x1C..0x1E].copy_from_slice(&0xFFFEu16.to_le_bytes());
    out[0x1E..0x20].copy_from_slice(&9u16.to_le_bytes());
    out[0x30..0x34].copy_from_slice(&1u32.to_le_bytes()); // directory starts at sector 1
    let root = 2 * 512;
    for (i, unit) in "Root Entry".encode_utf16().enumerate() {
        out[root + 2 * i..root + 2 * i + 2].copy_from_slice(&unit.to_le_bytes());
    }
    out[root + 0x50..root + 0x60].copy_from_slice(&clsid);
    out
}
