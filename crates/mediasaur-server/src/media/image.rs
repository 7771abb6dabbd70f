//! Image dimensions: raster formats through `imagesize`, SVG from plain `width`/`height` attributes.

use super::sniff::Markup;
use super::source::{Parse, Source, Stop, WINDOW};
use super::Found;

/// Size of a raster image (PNG, JPEG, GIF, WebP, AVIF/HEIC, BMP, TIFF, ICO, PSD, JXL, …).
pub(crate) fn raster(src: &mut Source<'_>, found: &mut Found) -> Parse<()> {
    src.rewind_cursor();
    // `imagesize` reads through `src`, so it seeks freely but stays inside the read budget.
    let size = imagesize::reader_size(&mut *src);
    if let Some(err) = src.take_failure() {
        return Err(Stop::Io(err));
    }
    if let Ok(size) = size {
        found.set_size(size.width as u64, size.height as u64);
    }
    Ok(())
}

/// Size of an SVG whose root states `width` and `height` as whole pixels (`640` or `640px`).
pub(crate) fn svg(src: &mut Source<'_>, found: &mut Found) -> Parse<()> {
    let head = src.bytes_from(0, WINDOW)?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if let Some(tag) = Markup::scan(head).root_tag() {
        let (width, height) = svg_size(tag);
        if let (Some(w), Some(h)) = (width, height) {
            found.set_size(w.into(), h.into());
        }
    }
    Ok(())
}

/// The `width` and `height` attributes of a start tag (name first, no `<`), when whole pixels.
fn svg_size(tag: &[u8]) -> (Option<u32>, Option<u32>) {
    let (mut width, mut height) = (None, None);
    let mut rest = tag;
    // Skip the element name, then read `name=value` pairs.
    let name_end = rest
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    rest = &rest[name_end..];
    while let Some((name, value, tail)) = attribute(rest) {
        match name {
            b"width" => width = pixels(value),
            b"height" => height = pixels(value),
            _ => {}
        }
        rest = tail;
    }
    (width, height)
}

/// The next attribute in `text`: its name, its unquoted value, and what follows.
fn attribute(text: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let text = &text[text
        .iter()
        .position(|b| !b.is_ascii_whitespace() && *b != b'/')?..];
    let name_end = text
        .iter()
        .position(|&b| b == b'=' || b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let (name, rest) = text.split_at(name_end);
    let rest = rest.trim_ascii_start();
    let Some(rest) = rest.strip_prefix(b"=") else {
        // A bare attribute; carry on after it.
        return (name_end > 0).then_some((name, &[][..], rest));
    };
    let rest = rest.trim_ascii_start();
    match rest.first() {
        Some(&quote @ (b'"' | b'\'')) => {
            let inner = &rest[1..];
            let end = inner.iter().position(|&b| b == quote)?;
            Some((name, &inner[..end], &inner[end + 1..]))
        }
        Some(_) => {
            let end = rest
                .iter()
                .position(|b| b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            Some((name, &rest[..end], &rest[end..]))
        }
        None => None,
    }
}

/// A whole, positive pixel count such as `640` or `640px`.
fn pixels(value: &[u8]) -> Option<u32> {
    let value = value.trim_ascii();
    let digits = value.strip_suffix(b"px").unwrap_or(value);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits)
        .ok()?
        .parse()
        .ok()
        .filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_attributes() {
        let size = |tag: &str| svg_size(tag.as_bytes());
        assert_eq!(
            size("svg width=\"640\" height='480px'"),
            (Some(640), Some(480))
        );
        assert_eq!(
            size("svg\n  xmlns=\"x\"\n  height = \"20\" width=10 /"),
            (Some(10), Some(20))
        );
        assert_eq!(
            size("svg stroke-width=\"3\" data-height=\"9\""),
            (None, None)
        );
        assert_eq!(size("svg width=\"100%\" height=\"2.5em\""), (None, None));
        assert_eq!(size("svg width=\"0\" height=\"99999999999\""), (None, None));
        assert_eq!(
            size("svg hidden width=\"5\" height=\"6\""),
            (Some(5), Some(6))
        );
        assert_eq!(
            size("svg width=\"5\" height=\"unterminated"),
            (Some(5), None)
        );
        assert_eq!(size("svg width="), (None, None));
        assert_eq!(size("svg"), (None, None));
    }
}
