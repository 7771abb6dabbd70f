//! MIME sniffing from the head of a file: binary magic through `infer`, OLE by hand, text formats by hand.

use std::io;

use super::source::{Source, Stop, WINDOW};

/// The MIME type of the file behind `src`, from its first [`WINDOW`] bytes (plus one seek for OLE files).
pub(crate) fn detect(src: &mut Source<'_>) -> io::Result<String> {
    let head = src.bytes_from(0, WINDOW)?.to_vec();
    if head.starts_with(OLE_MAGIC) {
        // `infer` hands OLE files to a full compound-file parser that only works on the whole
        // file; reading the root entry's class id ourselves is cheaper and safer.
        return match ole_class(src) {
            Ok(mime) => Ok(mime.to_owned()),
            Err(Stop::Malformed) => Ok(OLE_STORAGE.to_owned()),
            Err(Stop::Io(err)) => Err(err),
        };
    }
    let complete = head.len() as u64 == src.len();
    Ok(mime_of_head(&head, complete).to_owned())
}

/// The MIME type of a head that is not an OLE file; `complete` when it is the whole file.
pub(crate) fn mime_of_head(head: &[u8], complete: bool) -> &'static str {
    match infer::get(head) {
        // `infer`'s text matchers are cruder than ours (no SVG, XML only with a prolog).
        Some(kind) if kind.matcher_type() != infer::MatcherType::Text => kind.mime_type(),
        _ => other_ftyp(head).unwrap_or_else(|| sniff_text(head, complete)),
    }
}

/// ISO BMFF brands `infer` does not list: 3GPP phone video and M4B/M4P audio.
fn other_ftyp(head: &[u8]) -> Option<&'static str> {
    if head.get(4..8)? != b"ftyp" {
        return None;
    }
    match head.get(8..12)? {
        [b'3', b'g', b'2', _] => Some("video/3gpp2"),
        [b'3', b'g', _, _] => Some("video/3gpp"),
        b"M4B " | b"M4P " => Some("audio/mp4"),
        _ => None,
    }
}

const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const OLE_STORAGE: &str = "application/x-ole-storage";

/// Legacy Office formats by the class id of an OLE file's root directory entry.
fn ole_class(src: &mut Source<'_>) -> Result<&'static str, Stop> {
    let header: [u8; 0x34] = src.array(0)?;
    let shift = u16::from_le_bytes([header[0x1E], header[0x1F]]);
    if shift != 9 && shift != 12 {
        return Err(Stop::Malformed);
    }
    let first_dir_sector =
        u32::from_le_bytes([header[0x30], header[0x31], header[0x32], header[0x33]]);
    let root = (u64::from(first_dir_sector) + 1) << shift;
    let clsid: [u8; 16] = src.array(root + 0x50)?;
    // Data1 is stored little-endian; the rest of these ids is the shared Office suffix.
    const OFFICE_SUFFIX: [u8; 12] = [0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46];
    const POWERPOINT: [u8; 16] = [
        0x10, 0x8D, 0x81, 0x64, 0x9B, 0x4F, 0xCF, 0x11, 0x86, 0xEA, 0x00, 0xAA, 0x00, 0xB9, 0x29,
        0xE8,
    ];
    if clsid == POWERPOINT {
        return Ok("application/vnd.ms-powerpoint");
    }
    if clsid[4..] != OFFICE_SUFFIX {
        return Ok(OLE_STORAGE);
    }
    Ok(
        match u32::from_le_bytes([clsid[0], clsid[1], clsid[2], clsid[3]]) {
            0x0002_0906 => "application/msword",
            0x0002_0810 | 0x0002_0820 => "application/vnd.ms-excel",
            _ => OLE_STORAGE,
        },
    )
}

/// Tags that make a document HTML when they open it (WHATWG's list, plus a few more active ones).
const HTML_TAGS: &[&str] = &[
    "html", "head", "body", "script", "iframe", "h1", "div", "font", "table", "a", "style",
    "title", "b", "br", "p", "meta", "link", "base", "img", "form", "object", "embed", "frameset",
    "frame", "template", "math",
];

/// Text formats `infer` does not know: SVG, HTML, XML, JSON, plain text, else octet-stream.
pub(crate) fn sniff_text(head: &[u8], complete: bool) -> &'static str {
    if head.is_empty() {
        return "application/octet-stream";
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let markup = Markup::scan(body);
    if let Some(mime) = markup.mime() {
        return mime;
    }
    if !is_text(body, complete) {
        return "application/octet-stream";
    }
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[') => "application/json",
        _ => "text/plain",
    }
}

/// UTF-8 without control characters other than whitespace, form feed and escape; a character cut
/// off by the end of the head counts when the head is not the whole file.
fn is_text(bytes: &[u8], complete: bool) -> bool {
    let valid = match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(err) => !complete && err.error_len().is_none(),
    };
    valid
        && !bytes
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B))
}

/// The markup at the top of a document: prolog, comments, doctype, then the first start tag.
#[derive(Debug, Default)]
pub(crate) struct Markup<'a> {
    xml_declaration: bool,
    leading_comment: bool,
    doctype: Option<&'a [u8]>,
    /// The root start tag from its name up to (not including) `>` or the end of the head.
    root: Option<&'a [u8]>,
}

impl<'a> Markup<'a> {
    /// Scans `text` (BOM already removed); stops at the first thing that is not prolog markup.
    pub(crate) fn scan(mut text: &'a [u8]) -> Self {
        let mut markup = Self::default();
        // Each turn consumes at least one construct; the cap only bounds pathological heads.
        for _ in 0..256 {
            text = trim_start(text);
            if starts_with_ci(text, b"<?xml")
                && text
                    .get(5)
                    .is_some_and(|&b| b == b'?' || b.is_ascii_whitespace())
            {
                markup.xml_declaration = true;
            }
            let rest = if text.starts_with(b"<?") {
                after(text, b"?>")
            } else if text.starts_with(b"<!--") {
                markup.leading_comment = true;
                after(&text[4..], b"-->")
            } else if starts_with_ci(text, b"<!doctype") {
                let decl = trim_start(&text[9..]);
                markup.doctype = Some(name(decl));
                skip_doctype(decl)
            } else if text.first() == Some(&b'<')
                && text
                    .get(1)
                    .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_' || b >= 0x80)
            {
                let tag = &text[1..];
                let end = tag.iter().position(|&b| b == b'>').unwrap_or(tag.len());
                markup.root = Some(&tag[..end]);
                None
            } else {
                None
            };
            match rest {
                Some(rest) => text = rest,
                None => break,
            }
        }
        markup
    }

    /// The root start tag, from its name up to its `>`.
    pub(crate) fn root_tag(&self) -> Option<&'a [u8]> {
        self.root
    }

    /// The MIME type the markup implies, if any.
    fn mime(&self) -> Option<&'static str> {
        let html = if self.xml_declaration {
            "application/xhtml+xml"
        } else {
            "text/html"
        };
        if self
            .doctype
            .is_some_and(|d| d.eq_ignore_ascii_case(b"html"))
        {
            return Some(html);
        }
        if let Some(tag) = self.root {
            let full = name(tag);
            // `svg:svg`, `h:html`: judge by the local name.
            let local = full.rsplit(|&b| b == b':').next().unwrap_or(full);
            if local.eq_ignore_ascii_case(b"svg") {
                return Some("image/svg+xml");
            }
            // After an XML declaration, `<a>` or `<title>` is just XML; only XHTML is HTML.
            let is_html = if self.xml_declaration {
                local.eq_ignore_ascii_case(b"html")
                    || contains(tag, b"http://www.w3.org/1999/xhtml")
            } else {
                HTML_TAGS
                    .iter()
                    .any(|t| local.eq_ignore_ascii_case(t.as_bytes()))
            };
            if is_html {
                return Some(html);
            }
            if self.xml_declaration || contains(tag, b"xmlns") {
                return Some("application/xml");
            }
        }
        if self.xml_declaration || self.doctype.is_some() {
            return Some("application/xml");
        }
        // WHATWG treats a leading comment as HTML.
        self.leading_comment.then_some("text/html")
    }
}

/// A tag or doctype name: everything up to whitespace, `/`, `>` or `[`.
fn name(text: &[u8]) -> &[u8] {
    let end = text
        .iter()
        .position(|&b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>' | b'['))
        .unwrap_or(text.len());
    &text[..end]
}

/// The rest after a doctype body (its name onwards), stepping over an internal subset in `[...]`.
fn skip_doctype(decl: &[u8]) -> Option<&[u8]> {
    let close = decl.iter().position(|&b| b == b'>')?;
    match decl.iter().position(|&b| b == b'[') {
        Some(open) if open < close => after(after(&decl[open..], b"]")?, b">"),
        _ => Some(&decl[close + 1..]),
    }
}

/// The bytes after the first `needle`, if it occurs.
fn after<'a>(haystack: &'a [u8], needle: &[u8]) -> Option<&'a [u8]> {
    let at = haystack.windows(needle.len()).position(|w| w == needle)?;
    Some(&haystack[at + needle.len()..])
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn trim_start(text: &[u8]) -> &[u8] {
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    &text[start..]
}

fn starts_with_ci(text: &[u8], prefix: &[u8]) -> bool {
    text.get(..prefix.len())
        .is_some_and(|t| t.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff(text: &str) -> &'static str {
        sniff_text(text.as_bytes(), true)
    }

    #[test]
    fn svg_behind_prolog_comments_and_doctype() {
        assert_eq!(
            sniff("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            "image/svg+xml"
        );
        let svg = "\u{FEFF}  <?xml version=\"1.0\"?>\n<!-- made by hand -->\n\
                   <!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x.dtd\" [ <!ENTITY a \"b\"> ]>\n\
                   <svg:svg width=\"10\"><script>alert(1)</script></svg:svg>";
        assert_eq!(sniff(svg), "image/svg+xml");
        assert_eq!(
            sniff("<?xml-stylesheet href=\"a.xsl\"?><SVG>"),
            "image/svg+xml"
        );
    }

    #[test]
    fn html_in_its_many_openings() {
        for text in [
            "<!doctype html><p>hi",
            "  \r\n<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">",
            "<html lang=en>",
            "<HEAD><title>x</title>",
            "<body onload=alert(1)>",
            "<script>alert(1)</script>",
            "\u{FEFF}<iframe src=x>",
            "<!-- just a comment -->",
            "<!-- c --><a href=x>link</a>",
        ] {
            assert_eq!(sniff(text), "text/html", "{text:?}");
        }
        assert_eq!(
            sniff("<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">"),
            "application/xhtml+xml"
        );
    }

    #[test]
    fn xml_json_and_text() {
        assert_eq!(
            sniff("<?xml version=\"1.0\"?><note>hi</note>"),
            "application/xml"
        );
        assert_eq!(sniff("<?xml version='1.0'?>"), "application/xml");
        assert_eq!(
            sniff("<feed xmlns=\"http://www.w3.org/2005/Atom\">"),
            "application/xml"
        );
        assert_eq!(sniff(" \n{\"a\": [1, 2]}"), "application/json");
        assert_eq!(sniff("[1,2,3]"), "application/json");
        assert_eq!(sniff("hello <b>world</b>\n"), "text/plain");
        assert_eq!(sniff("<note>not enough to call xml</note>"), "text/plain");
        assert_eq!(sniff("naïve café ☕\ttabs\r\n"), "text/plain");
        assert_eq!(sniff("#!/bin/sh\necho hi\n"), "text/plain");
    }

    #[test]
    fn binary_and_edge_cases() {
        assert_eq!(sniff_text(b"", true), "application/octet-stream");
        assert_eq!(sniff_text(b"abc\0def", true), "application/octet-stream");
        assert_eq!(
            sniff_text(b"\x01\x02\x03", true),
            "application/octet-stream"
        );
        assert_eq!(
            sniff_text(b"\xFF\xFE\xFD", true),
            "application/octet-stream"
        );
        // A multi-byte character cut off by the end of the head is fine, not at the end of the file.
        let cut = &"caf\u{E9}".as_bytes()[..4];
        assert_eq!(sniff_text(cut, false), "text/plain");
        assert_eq!(sniff_text(cut, true), "application/octet-stream");
        // Unterminated constructs stop the scan without panicking.
        assert_eq!(sniff("<?xml version="), "application/xml");
        assert_eq!(sniff("<!-- never closed"), "text/html");
        assert_eq!(sniff("<!DOCTYPE svg [ <!ENTITY"), "application/xml");
        assert_eq!(sniff("<"), "text/plain");
    }

    #[test]
    fn binary_magic_goes_through_infer() {
        assert_eq!(mime_of_head(b"%PDF-1.7\n", true), "application/pdf");
        assert_eq!(
            mime_of_head(b"\x1F\x8B\x08\x00\x00\x00\x00\x00", true),
            "application/gzip"
        );
        assert_eq!(mime_of_head(b"{\\rtf1\\ansi", true), "application/rtf");
        assert_eq!(mime_of_head(b"<html><body>", true), "text/html");
    }
}
