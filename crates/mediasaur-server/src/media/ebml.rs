//! Matroska and WebM: duration from `Segment/Info`, picture size from the first video `TrackEntry`.

use super::source::{Parse, Source, Stop};
use super::Found;

const EBML_HEADER: u32 = 0x1A45_DFA3;
const SEGMENT: u32 = 0x1853_8067;
const INFO: u32 = 0x1549_A966;
const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_TYPE: u32 = 0x83;
const VIDEO: u32 = 0xE0;
const PIXEL_WIDTH: u32 = 0xB0;
const PIXEL_HEIGHT: u32 = 0xBA;

/// Nanoseconds per timestamp tick when `TimestampScale` is absent.
const DEFAULT_SCALE: u64 = 1_000_000;
/// Most elements visited at one level (Clusters are skipped by seeking, so this bounds the skips).
const MAX_ELEMENTS: u32 = 4096;

/// One element: its id (with the length marker, as the spec writes ids) and its payload.
#[derive(Debug)]
struct Element {
    id: u32,
    body: u64,
    /// End of the payload; `None` for an element of unknown size, which runs to its parent's end.
    end: Option<u64>,
}

enum Flow {
    Next,
    Done,
}

/// Reads the EBML header, then `Info` and `Tracks` inside the first `Segment`.
pub(crate) fn probe(src: &mut Source<'_>, found: &mut Found) -> Parse<()> {
    let len = src.len();
    let first = element(src, 0, len)?;
    if first.id != EBML_HEADER || first.end.is_none() {
        return Err(Stop::Malformed);
    }
    walk(src, 0, len, |src, e| {
        if e.id != SEGMENT {
            return Ok(Flow::Next);
        }
        segment(src, e.body, e.end.unwrap_or(len), found)?;
        Ok(Flow::Done)
    })
}

/// The children of a `Segment`, until both `Info` and `Tracks` were read.
fn segment(src: &mut Source<'_>, start: u64, end: u64, found: &mut Found) -> Parse<()> {
    let (mut seen_info, mut seen_tracks) = (false, false);
    walk(src, start, end, |src, e| {
        let e_end = e.end.unwrap_or(end);
        match e.id {
            INFO => {
                info(src, e, e_end, found)?;
                seen_info = true;
            }
            TRACKS => {
                walk(src, e.body, e_end, |src, child| {
                    if child.id == TRACK_ENTRY {
                        track(src, child, e_end, found)?;
                    }
                    Ok(Flow::Next)
                })?;
                seen_tracks = true;
            }
            _ => {}
        }
        // Clusters (the media data) follow; they are only skipped over when Info or Tracks come later.
        Ok(if seen_info && seen_tracks {
            Flow::Done
        } else {
            Flow::Next
        })
    })
}

/// `Info`: `Duration` in ticks of `TimestampScale` nanoseconds.
fn info(src: &mut Source<'_>, e: &Element, end: u64, found: &mut Found) -> Parse<()> {
    let mut scale = DEFAULT_SCALE;
    let mut duration = None;
    walk(src, e.body, end, |src, child| {
        match child.id {
            TIMESTAMP_SCALE => scale = unsigned(src, child)?,
            DURATION => duration = Some(float(src, child)?),
            _ => {}
        }
        Ok(Flow::Next)
    })?;
    if let Some(ticks) = duration {
        found.set_duration(ticks * scale as f64 / 1e9);
    }
    Ok(())
}

/// One `TrackEntry`: its type, and for video its pixel size.
fn track(src: &mut Source<'_>, entry: &Element, parent_end: u64, found: &mut Found) -> Parse<()> {
    let end = entry.end.unwrap_or(parent_end);
    let mut kind = 0;
    let mut size = (0, 0);
    walk(src, entry.body, end, |src, child| {
        match child.id {
            TRACK_TYPE => kind = unsigned(src, child)?,
            VIDEO => size = video(src, child, end)?,
            _ => {}
        }
        Ok(Flow::Next)
    })?;
    match kind {
        1 => found.video_track = true,
        2 => found.audio_track = true,
        _ => {}
    }
    if kind == 1 && found.width.is_none() {
        found.set_size(size.0, size.1);
    }
    Ok(())
}

/// `Video`: `PixelWidth` and `PixelHeight`.
fn video(src: &mut Source<'_>, e: &Element, parent_end: u64) -> Parse<(u64, u64)> {
    let (mut width, mut height) = (0, 0);
    walk(src, e.body, e.end.unwrap_or(parent_end), |src, child| {
        match child.id {
            PIXEL_WIDTH => width = unsigned(src, child)?,
            PIXEL_HEIGHT => height = unsigned(src, child)?,
            _ => {}
        }
        Ok(Flow::Next)
    })?;
    Ok((width, height))
}

/// Calls `visit` on each element between `start` and `end` until it says [`Flow::Done`]. An
/// element of unknown size ends the walk after its visit, as its siblings cannot be found.
fn walk<F>(src: &mut Source<'_>, start: u64, end: u64, mut visit: F) -> Parse<()>
where
    F: FnMut(&mut Source<'_>, &Element) -> Parse<Flow>,
{
    let mut pos = start;
    for _ in 0..MAX_ELEMENTS {
        if pos >= end {
            break;
        }
        let e = element(src, pos, end)?;
        if let Flow::Done = visit(src, &e)? {
            break;
        }
        match e.end {
            // Ids and sizes take at least one byte each, so `next > pos`.
            Some(next) => pos = next,
            None => break,
        }
    }
    Ok(())
}

/// Reads the element header at `pos`; a payload claiming more than the parent holds is cut to it.
fn element(src: &mut Source<'_>, pos: u64, parent_end: u64) -> Parse<Element> {
    let (id, id_len) = vint(src, pos)?;
    if id_len > 4 {
        return Err(Stop::Malformed);
    }
    let id = id as u32 | (1 << (7 * id_len)); // Ids keep their length marker.
    let (size, size_len) = vint(src, pos + u64::from(id_len))?;
    let body = pos + u64::from(id_len) + u64::from(size_len);
    if body > parent_end {
        return Err(Stop::Malformed);
    }
    // All value bits set means "unknown size".
    let unknown = size == (1u64 << (7 * size_len)) - 1;
    let end = (!unknown).then(|| body.saturating_add(size).min(parent_end));
    Ok(Element { id, body, end })
}

/// A variable-length integer at `pos`: its value (marker removed) and its length in bytes.
fn vint(src: &mut Source<'_>, pos: u64) -> Parse<(u64, u32)> {
    let first = src.array::<1>(pos)?[0];
    let len = first.leading_zeros() + 1;
    if len > 8 {
        return Err(Stop::Malformed);
    }
    let bytes = src.bytes_from(pos, len as usize)?;
    let bytes = bytes.get(1..len as usize).ok_or(Stop::Malformed)?;
    let value = bytes
        .iter()
        .fold(u64::from(first) & (0xFF >> len), |acc, &b| {
            (acc << 8) | u64::from(b)
        });
    Ok((value, len))
}

/// An unsigned integer element (at most 8 bytes).
fn unsigned(src: &mut Source<'_>, e: &Element) -> Parse<u64> {
    let bytes = payload(src, e)?;
    Ok(bytes.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b)))
}

/// A float element (0, 4 or 8 bytes).
fn float(src: &mut Source<'_>, e: &Element) -> Parse<f64> {
    match *payload(src, e)? {
        [] => Ok(0.0),
        [a, b, c, d] => Ok(f64::from(f32::from_be_bytes([a, b, c, d]))),
        [a, b, c, d, e, f, g, h] => Ok(f64::from_be_bytes([a, b, c, d, e, f, g, h])),
        _ => Err(Stop::Malformed),
    }
}

/// The whole payload of a number element, which is at most 8 bytes long.
fn payload<'s>(src: &'s mut Source<'_>, e: &Element) -> Parse<&'s [u8]> {
    let len = e.end.ok_or(Stop::Malformed)?.saturating_sub(e.body);
    if len > 8 {
        return Err(Stop::Malformed);
    }
    let len = len as usize;
    src.bytes_from(e.body, len)?
        .get(..len)
        .ok_or(Stop::Malformed)
}
