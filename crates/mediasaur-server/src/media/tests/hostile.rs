//! Hostile-input tests: truncated, mutated, self-contradictory and random files must probe without error or panic.

use super::fixtures::*;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn samples() -> Vec<Vec<u8>> {
    let moov = [
        mvhd(0, 1000, 5000),
        trak(0, b"vide", 64, 48, IDENTITY),
        trak(1, b"soun", 0, 0, IDENTITY),
    ];
    let mut segment = segment_info(1_000_000, &1000f64.to_be_bytes());
    segment.extend(el(
        0x1654_AE6B,
        &[track_entry(1, 64, 48), track_entry(2, 0, 0)].concat(),
    ));
    segment.extend(cluster(64));
    let mut webm = ebml_header("webm");
    webm.extend(el(0x1853_8067, &segment));
    vec![
        png(4, 4),
        jpeg(8, 8, 300),
        gif(2, 2),
        webp(5, 5),
        avif(7, 9),
        bmp(3, 3),
        mp4(&ftyp(b"isom", &[b"isom"]), &moov, 40, false),
        mp4(&ftyp(b"M4A ", &[b"M4A "]), &moov, 40, true),
        webm,
        wav(8000, 1, 100),
        flac(44_100, 1000),
        ole([1; 16]),
        b"<?xml version=\"1.0\"?><svg width=\"1\" height=\"2\"/>".to_vec(),
    ]
}

#[test]
fn every_truncation_probes_cleanly() {
    let mut scratch = Scratch::new();
    for sample in samples() {
        for cut in 0..sample.len() {
            scratch.probe(&sample[..cut]);
        }
    }
}

#[test]
fn mutated_files_probe_cleanly() {
    let mut scratch = Scratch::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for sample in samples() {
        for _ in 0..300 {
            let mut bytes = sample.clone();
            for _ in 0..1 + rng.below(6) {
                let at = rng.below(bytes.len());
                // Favour the values that break parsers: zero, all ones, and 1 (64-bit box size).
                bytes[at] = match rng.below(4) {
                    0 => 0,
                    1 => 0xFF,
                    2 => 1,
                    _ => rng.next() as u8,
                };
            }
            scratch.probe(&bytes);
        }
    }
}

#[test]
fn random_bytes_probe_cleanly() {
    let mut scratch = Scratch::new();
    let mut rng = Rng(42);
    for round in 0..300 {
        let len = rng.below(if round % 10 == 0 { 200_000 } else { 2000 });
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        scratch.probe(&bytes);
    }
}

/// An `ftyp` followed by `rest`, as an MP4 top level.
fn mp4_with(rest: &[u8]) -> Vec<u8> {
    let mut out = ftyp(b"isom", &[b"isom"]);
    out.extend(rest);
    out
}

fn raw_box(size: u32, kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut out = size.to_be_bytes().to_vec();
    out.extend(kind);
    out.extend(payload);
    out
}

#[test]
fn contradictory_box_sizes() {
    let mut scratch = Scratch::new();
    let good_trak = trak(0, b"vide", 10, 10, QUARTER_TURN);
    let cases = [
        raw_box(0, b"moov", &[mvhd(0, 1000, 1000), good_trak].concat()),
        raw_box(0, b"free", &[0; 100]),
        raw_box(1, b"mdat", &8u64.to_be_bytes()),
        raw_box(1, b"mdat", &u64::MAX.to_be_bytes()),
        raw_box(1, b"moov", &(u64::MAX - 3).to_be_bytes()),
        raw_box(4, b"moov", &[0; 64]),
        raw_box(u32::MAX, b"moov", &mvhd(1, 0, u64::MAX)),
        raw_box(
            60,
            b"moov",
            &raw_box(0, b"trak", &raw_box(0, b"tkhd", &[1, 0, 0, 0])),
        ),
        raw_box(40, b"moov", &raw_box(u32::MAX, b"mvhd", &[0; 24])),
        bx(b"moov", &bx(b"trak", &bx(b"mdia", &bx(b"hdlr", &[])))),
        bx(b"free", &[]).repeat(5000),
    ];
    for rest in &cases {
        let info = scratch.probe(&mp4_with(rest));
        assert!(
            info.mime.starts_with("video/") || info.mime.starts_with("audio/"),
            "{info:?}"
        );
    }
    // A box of size 0 that runs to the end still gets read.
    let info = scratch.probe(&mp4_with(&cases[0]));
    assert_eq!(
        (info.width, info.height, info.duration),
        (Some(10), Some(10), Some(1.0))
    );
}

#[test]
fn contradictory_ebml_sizes() {
    let mut scratch = Scratch::new();
    let header = ebml_header("webm");
    let cases: Vec<Vec<u8>> = vec![
        // Sizes far larger than the file.
        [
            0x18, 0x53, 0x80, 0x67, 0x01, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0,
        ]
        .to_vec(),
        el_unknown(
            0x1853_8067,
            &el_unknown(0x1549_A966, &el_unknown(0x4489, &[1, 2, 3])),
        ),
        el(
            0x1853_8067,
            &[0x15, 0x49, 0xA9, 0x66, 0x88, 0x2A, 0xD7, 0xB1],
        ),
        // A zero byte where a length marker must be.
        el(0x1853_8067, &[0x00; 32]),
        el(
            0x1853_8067,
            &el(0x1654_AE6B, &el(0xAE, &el(0xE0, &el(0xB0, &[0xFF; 9])))),
        ),
        el(
            0x1853_8067,
            &el(0x1549_A966, &el(0x4489, &[0x7F, 0xF8, 0, 0, 0, 0, 0, 0])),
        ), // NaN
        el(
            0x1853_8067,
            &el(
                0x1549_A966,
                &[
                    el(0x2A_D7B1, &[0xFF; 8]),
                    el(0x4489, &f64::MAX.to_be_bytes()),
                ]
                .concat(),
            ),
        ),
        el(0x1853_8067, &[0xEC, 0x80].repeat(10_000)), // thousands of empty Void elements
    ];
    for rest in &cases {
        let mut file = header.clone();
        file.extend(rest);
        let info = scratch.probe(&file);
        assert_eq!(info.mime, "video/webm");
        assert_eq!(info.duration, None, "{info:?}");
    }
    // The EBML header itself claiming more than the file.
    let mut file = vec![0x1A, 0x45, 0xDF, 0xA3, 0x08];
    file.extend([0; 20]);
    scratch.probe(&file);
}

#[test]
fn contradictory_audio_headers() {
    let mut scratch = Scratch::new();
    let mut wav_huge = wav(8000, 1, 10);
    let data_at = wav_huge.windows(4).position(|w| w == b"data").unwrap();
    wav_huge[data_at + 4..data_at + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    let info = scratch.probe(&wav_huge);
    assert_eq!(info.duration, Some(10.0 / 16_000.0));
    let mut no_rate = wav(0, 1, 10);
    no_rate[28..32].copy_from_slice(&[0; 4]);
    assert_eq!(scratch.probe(&no_rate).duration, None);
    let mut flac_bad = flac(44_100, 100);
    flac_bad[4] = 0x84; // first block is not STREAMINFO
    assert_eq!(scratch.probe(&flac_bad).duration, None);
}
