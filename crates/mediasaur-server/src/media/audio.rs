//! Audio durations that are cheap to read: WAV (byte rate and data size) and FLAC (STREAMINFO).

use super::source::{Parse, Source, Stop};
use super::Found;

/// Most RIFF chunks looked at before `data`.
const MAX_CHUNKS: u32 = 1024;

/// WAV: the `data` chunk's size (cut to the file) over the `fmt ` chunk's byte rate.
pub(crate) fn wav(src: &mut Source<'_>, found: &mut Found) -> Parse<()> {
    let riff: [u8; 12] = src.array(0)?;
    if &riff[..4] != b"RIFF" || &riff[8..] != b"WAVE" {
        return Err(Stop::Malformed);
    }
    let len = src.len();
    let mut byte_rate = None;
    let mut pos = 12u64;
    for _ in 0..MAX_CHUNKS {
        let header: [u8; 8] = src.array(pos)?;
        let size = u64::from(u32::from_le_bytes([
            header[4], header[5], header[6], header[7],
        ]));
        let body = pos + 8;
        match &header[..4] {
            b"fmt " => {
                // format 2, channels 2, sample rate 4, then the byte rate.
                let fmt: [u8; 12] = src.array(body)?;
                byte_rate = Some(u32::from_le_bytes([fmt[8], fmt[9], fmt[10], fmt[11]]));
            }
            b"data" => {
                // Recorders that cannot seek back leave 0xFFFFFFFF; the file's end is the truth then.
                let available = len.saturating_sub(body);
                let data = if size == u64::from(u32::MAX) {
                    available
                } else {
                    size.min(available)
                };
                if let Some(rate @ 1..) = byte_rate {
                    found.set_duration(data as f64 / f64::from(rate));
                }
                return Ok(());
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        pos = body + size + (size & 1);
    }
    Ok(())
}

/// FLAC: total samples over sample rate, from the STREAMINFO block that must come first.
pub(crate) fn flac(src: &mut Source<'_>, found: &mut Found) -> Parse<()> {
    let head: [u8; 8 + 18] = src.array(0)?;
    let block_type = head[4] & 0x7F;
    let block_len = u32::from_be_bytes([0, head[5], head[6], head[7]]);
    if &head[..4] != b"fLaC" || block_type != 0 || block_len < 34 {
        return Err(Stop::Malformed);
    }
    // STREAMINFO bytes 10..18: sample rate (20 bits), channels (3), bits per sample (5), total samples (36).
    let packed = u64::from_be_bytes([
        head[18], head[19], head[20], head[21], head[22], head[23], head[24], head[25],
    ]);
    let sample_rate = packed >> 44;
    let total_samples = packed & ((1 << 36) - 1);
    if sample_rate > 0 && total_samples > 0 {
        found.set_duration(total_samples as f64 / sample_rate as f64);
    }
    Ok(())
}
