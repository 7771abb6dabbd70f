//! Audio and video probes: ISO BMFF (MP4, MOV, M4A), Matroska/WebM, WAV and FLAC.

use super::fixtures::*;
use super::{expect, Audio, Video};

#[test]
fn mp4_with_moov_after_mdat() {
    let moov = [
        mvhd(0, 1000, 12_500),
        trak(0, b"vide", 1280, 720, IDENTITY),
        trak(0, b"soun", 0, 0, [0; 9]),
    ];
    let file = mp4(&ftyp(b"isom", &[b"isom", b"avc1"]), &moov, 150_000, false);
    expect(&file, "video/mp4", Video, Some((1280, 720)), Some(12.5));
    let file = mp4(&ftyp(b"isom", &[b"isom"]), &moov, 10, true);
    expect(&file, "video/mp4", Video, Some((1280, 720)), Some(12.5));
}

#[test]
fn mp4_version_1_boxes_largesize_and_rotation() {
    let moov = [
        trak(1, b"text", 300, 40, QUARTER_TURN),
        trak(1, b"vide", 1920, 1080, QUARTER_TURN),
        mvhd(1, 90_000, 90_000 * 61),
    ];
    let mut file = ftyp(b"mp42", &[b"mp42", b"isom"]);
    // An mdat with a 64-bit size.
    file.extend(1u32.to_be_bytes());
    file.extend(b"mdat");
    file.extend((16u64 + 1000).to_be_bytes());
    file.extend(vec![0; 1000]);
    file.extend(bx(b"moov", &moov.concat()));
    expect(&file, "video/mp4", Video, Some((1080, 1920)), Some(61.0));
}

#[test]
fn audio_only_mp4_is_audio() {
    let moov = [mvhd(0, 44_100, 44_100 * 3), trak(0, b"soun", 0, 0, [0; 9])];
    let m4a = mp4(&ftyp(b"M4A ", &[b"M4A ", b"isom"]), &moov, 100, false);
    expect(&m4a, "audio/m4a", Audio, None, Some(3.0));
    let plain = mp4(&ftyp(b"isom", &[b"isom"]), &moov, 100, false);
    expect(&plain, "audio/mp4", Audio, None, Some(3.0));
}

#[test]
fn third_generation_phone_video() {
    let moov = [mvhd(0, 1000, 4000), trak(0, b"vide", 176, 144, IDENTITY)];
    let file = mp4(&ftyp(b"3gp4", &[b"3gp4", b"isom"]), &moov, 100, false);
    expect(&file, "video/3gpp", Video, Some((176, 144)), Some(4.0));
}

#[test]
fn truncated_track_list_does_not_turn_video_into_audio() {
    let moov = [
        mvhd(0, 1000, 4000),
        trak(0, b"soun", 0, 0, IDENTITY),
        trak(0, b"vide", 64, 48, IDENTITY),
    ];
    let mut file = mp4(&ftyp(b"isom", &[b"isom"]), &moov, 100, true);
    let video_trak = file.windows(4).rposition(|w| w == b"trak").unwrap();
    file.truncate(video_trak + 30);
    expect(&file, "video/mp4", Video, None, Some(4.0));
}

#[test]
fn quicktime_and_fragmented_mp4() {
    let moov = [mvhd(0, 600, 600 * 2), trak(0, b"vide", 320, 240, IDENTITY)];
    let mov = mp4(&ftyp(b"qt  ", &[b"qt  "]), &moov, 64, false);
    expect(&mov, "video/quicktime", Video, Some((320, 240)), Some(2.0));

    let mvex = bx(b"mvex", &full(b"mehd", 1, &(1000u64 * 7).to_be_bytes()));
    let moov = [mvhd(0, 1000, 0), trak(0, b"vide", 320, 240, IDENTITY), mvex];
    let frag = mp4(&ftyp(b"iso6", &[b"iso6", b"dash"]), &moov, 64, true);
    expect(&frag, "video/mp4", Video, Some((320, 240)), Some(7.0));
}

fn webm(doc_type: &str, duration: &[u8], tracks: &[Vec<u8>], unknown_segment: bool) -> Vec<u8> {
    let mut segment = el(
        0x114D_9B74,
        &el(0x4DBB, &[0x53, 0xAB, 0x84, 0x15, 0x49, 0xA9, 0x66]),
    ); // SeekHead
    segment.extend(segment_info(1_000_000, duration));
    segment.extend(el(0x1654_AE6B, &tracks.concat()));
    segment.extend(cluster(5000));
    let mut out = ebml_header(doc_type);
    out.extend(if unknown_segment {
        el_unknown(0x1853_8067, &segment)
    } else {
        el8(0x1853_8067, &segment)
    });
    out
}

#[test]
fn webm_and_matroska() {
    let tracks = [track_entry(2, 0, 0), track_entry(1, 640, 360)];
    let file = webm("webm", &5000f64.to_be_bytes(), &tracks, false);
    expect(&file, "video/webm", Video, Some((640, 360)), Some(5.0));
    let file = webm("webm", &2500f32.to_be_bytes(), &tracks, true);
    expect(&file, "video/webm", Video, Some((640, 360)), Some(2.5));
    let file = webm("matroska", &1000f64.to_be_bytes(), &tracks, false);
    expect(
        &file,
        "video/x-matroska",
        Video,
        Some((640, 360)),
        Some(1.0),
    );
    let file = webm("webm", &[], &[track_entry(2, 0, 0)], true);
    expect(&file, "audio/webm", Audio, None, None);
}

#[test]
fn webm_with_info_after_clusters() {
    let mut segment = cluster(100_000);
    segment.extend(cluster(10));
    segment.extend(el(0x1654_AE6B, &track_entry(1, 1280, 720)));
    segment.extend(segment_info(1_000_000, &3000f64.to_be_bytes()));
    let mut file = ebml_header("webm");
    file.extend(el(0x1853_8067, &segment));
    expect(&file, "video/webm", Video, Some((1280, 720)), Some(3.0));
}

#[test]
fn wav_and_flac_durations() {
    expect(
        &wav(8000, 1, 8000 * 2 * 3 / 2),
        "audio/x-wav",
        Audio,
        None,
        Some(1.5),
    );
    expect(
        &flac(44_100, 44_100 * 3),
        "audio/x-flac",
        Audio,
        None,
        Some(3.0),
    );
    expect(&flac(48_000, 0), "audio/x-flac", Audio, None, None);
}
