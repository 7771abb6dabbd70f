//! ISO base media files (MP4, MOV, M4A, M4V, 3GP): duration from `mvhd`, picture size from the first video `tkhd`.

use super::source::{Parse, Source, Stop};
use super::Found;

/// Most bytes of `moov` looked at; boxes that start later are ignored.
const MOOV_CAP: u64 = 16 * 1024 * 1024;
/// Most boxes visited at one level, however small they are.
const MAX_BOXES: u32 = 4096;

/// One box: its four-character type and where its payload starts and ends.
#[derive(Debug)]
struct BoxHeader {
    kind: [u8; 4],
    body: u64,
    end: u64,
}

/// Whether a walk goes on to the next sibling box.
enum Flow {
    Next,
    Done,
}

/// Walks the top-level boxes to `moov` (wherever it is) and reads duration, size and track types.
pub(crate) fn probe(src: &mut Source<'_>, found: &mut Found) -> Parse<()> {
    let len = src.len();
    walk(src, 0, len, |src, b| {
        if &b.kind != b"moov" {
            return Ok(Flow::Next);
        }
        let end = b.end.min(b.body.saturating_add(MOOV_CAP));
        moov(src, b.body, end, found)?;
        Ok(Flow::Done)
    })
}

/// Reads the header of the box at `pos` inside a parent ending at `parent_end`.
fn header(src: &mut Source<'_>, pos: u64, parent_end: u64) -> Parse<BoxHeader> {
    let raw: [u8; 8] = src.array(pos)?;
    let kind = [raw[4], raw[5], raw[6], raw[7]];
    let (body, end) = match u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]) {
        // Size 0: the box runs to the end of its parent (the file, at the top level).
        0 => (pos + 8, parent_end),
        // Size 1: a 64-bit size follows the type.
        1 => {
            let size = u64::from_be_bytes(src.array(pos + 8)?);
            if size < 16 {
                return Err(Stop::Malformed);
            }
            (pos + 16, pos.saturating_add(size))
        }
        2..=7 => return Err(Stop::Malformed),
        size => (pos + 8, pos.saturating_add(u64::from(size))),
    };
    if body > parent_end {
        return Err(Stop::Malformed);
    }
    // A box claiming more than its parent holds is cut to it (truncated files).
    Ok(BoxHeader {
        kind,
        body,
        end: end.min(parent_end),
    })
}

/// Calls `visit` on each box between `start` and `end` until it says [`Flow::Done`].
fn walk<F>(src: &mut Source<'_>, start: u64, end: u64, mut visit: F) -> Parse<()>
where
    F: FnMut(&mut Source<'_>, &BoxHeader) -> Parse<Flow>,
{
    let mut pos = start;
    for _ in 0..MAX_BOXES {
        if end.saturating_sub(pos) < 8 {
            break;
        }
        let b = header(src, pos, end)?;
        if let Flow::Done = visit(src, &b)? {
            break;
        }
        // Every header is at least 8 bytes, so `b.end > pos` and the walk always advances.
        pos = b.end;
    }
    Ok(())
}

/// The children of `moov`: `mvhd` for the duration, `trak`s for tracks, `mvex/mehd` for fragmented files.
fn moov(src: &mut Source<'_>, start: u64, end: u64, found: &mut Found) -> Parse<()> {
    let mut timescale = 0u32;
    let mut duration = None;
    let mut fragment_duration = None;
    let result = walk(src, start, end, |src, b| {
        match &b.kind {
            b"mvhd" => (timescale, duration) = mvhd(src, b)?,
            b"trak" => trak(src, b, found)?,
            b"mvex" => {
                walk(src, b.body, b.end, |src, child| {
                    if &child.kind == b"mehd" {
                        fragment_duration = versioned_u64(src, child, 4)?;
                    }
                    Ok(Flow::Next)
                })?;
            }
            _ => {}
        }
        Ok(Flow::Next)
    });
    if let Some(units) = duration.filter(|&d| d > 0).or(fragment_duration) {
        if timescale > 0 {
            found.set_duration(units as f64 / f64::from(timescale));
        }
    }
    result
}

/// `mvhd`: the movie timescale and duration (`None` when marked unknown).
fn mvhd(src: &mut Source<'_>, b: &BoxHeader) -> Parse<(u32, Option<u64>)> {
    // version/flags, then creation and modification times (4 or 8 bytes each), then the timescale.
    let version = src.array::<1>(b.body)?[0];
    let times = if version == 1 { 16 } else { 8 };
    let timescale = u32::from_be_bytes(src.array(field(b, 4 + times, 4)?)?);
    let duration = versioned_u64(src, b, 8 + times)?;
    Ok((timescale, duration))
}

/// A full-box field at `offset` into the payload that is 4 bytes in version 0 and 8 in version 1;
/// all-ones means unknown.
fn versioned_u64(src: &mut Source<'_>, b: &BoxHeader, offset: u64) -> Parse<Option<u64>> {
    let version = src.array::<1>(b.body)?[0];
    let value = if version == 1 {
        let v = u64::from_be_bytes(src.array(field(b, offset, 8)?)?);
        (v != u64::MAX).then_some(v)
    } else {
        let v = u32::from_be_bytes(src.array(field(b, offset, 4)?)?);
        (v != u32::MAX).then_some(u64::from(v))
    };
    Ok(value)
}

/// The file offset of a `len`-byte field at `offset` into the payload, if the box holds it.
fn field(b: &BoxHeader, offset: u64, len: u64) -> Parse<u64> {
    let at = b.body.checked_add(offset).ok_or(Stop::Malformed)?;
    if at.saturating_add(len) > b.end {
        return Err(Stop::Malformed);
    }
    Ok(at)
}

/// One `trak`: its handler type (`mdia/hdlr`) and display size (`tkhd`).
fn trak(src: &mut Source<'_>, b: &BoxHeader, found: &mut Found) -> Parse<()> {
    let mut size = None;
    let mut handler = None;
    walk(src, b.body, b.end, |src, child| {
        match &child.kind {
            b"tkhd" => size = Some(tkhd(src, child)?),
            b"mdia" => {
                walk(src, child.body, child.end, |src, grandchild| {
                    if &grandchild.kind == b"hdlr" {
                        handler = Some(src.array::<4>(field(grandchild, 8, 4)?)?);
                        return Ok(Flow::Done);
                    }
                    Ok(Flow::Next)
                })?;
            }
            _ => {}
        }
        Ok(Flow::Next)
    })?;
    match handler.as_ref() {
        Some(b"vide") => found.video_track = true,
        Some(b"soun") => found.audio_track = true,
        _ => {}
    }
    // Subtitle and timed-text tracks have sizes too; only video (or an unlabelled track) counts.
    let visual = matches!(handler.as_ref(), None | Some(b"vide"));
    if let Some((width, height)) = size.filter(|_| visual && found.width.is_none()) {
        found.set_size(width, height);
    }
    Ok(())
}

/// `tkhd`: width and height (16.16 fixed point, rounded), swapped when the matrix turns the picture
/// a quarter turn, so they describe the picture as displayed.
fn tkhd(src: &mut Source<'_>, b: &BoxHeader) -> Parse<(u64, u64)> {
    let version = src.array::<1>(b.body)?[0];
    // version/flags 4, times and ids 20 (v0) or 32 (v1), reserved 8, layer/group/volume/reserved 8.
    let matrix_at = if version == 1 { 52 } else { 40 };
    let raw: [u8; 44] = src.array(field(b, matrix_at, 44)?)?;
    let word = |i: usize| i32::from_be_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
    let fixed = |i: usize| (u64::from(word(i) as u32) + 0x8000) >> 16;
    // The matrix is {a b u, c d v, x y w}; a quarter turn has a = d = 0 and b, c = ±1.
    let quarter_turn = word(0) == 0 && word(16) == 0 && word(4) != 0 && word(12) != 0;
    let (width, height) = (fixed(36), fixed(40));
    Ok(if quarter_turn {
        (height, width)
    } else {
        (width, height)
    })
}
