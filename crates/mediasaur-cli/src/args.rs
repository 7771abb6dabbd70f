//! Parsing of argument values clap cannot parse alone: byte sizes (`10M`, `1.5G`), `BUCKET/PATH`,
//! and the upload strategy names.

use clap::ValueEnum;
use mediasaur::upload::SingleRequest;
use mediasaur::Strategy;

/// K, M, G, T: powers of 1024.
const UNITS: [(char, u32); 4] = [('k', 1), ('m', 2), ('g', 3), ('t', 4)];

/// A byte count: a plain number of bytes (`100`), or a number with a binary unit (`512K`, `10M`,
/// `1.5G`, `2T`; `KiB`/`KB`/`k` spellings too). Fractions are rounded down to whole bytes.
pub fn parse_size(raw: &str) -> Result<u64, String> {
    let text = raw.trim();
    let lower = text.to_ascii_lowercase();
    let without_b = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (number, power) = match without_b.chars().last() {
        Some(last) if last.is_ascii_alphabetic() => {
            let power = UNITS
                .iter()
                .find(|(unit, _)| *unit == last)
                .map(|(_, power)| *power)
                .ok_or_else(|| bad_size(raw))?;
            (&without_b[..without_b.len() - 1], power)
        }
        _ => (without_b, 0),
    };
    let number = number.trim();
    let valid = !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && number.bytes().filter(|&b| b == b'.').count() <= 1
        && number.bytes().any(|b| b.is_ascii_digit());
    if !valid {
        return Err(bad_size(raw));
    }
    let multiplier = 1024_u64.pow(power);
    if let Ok(whole) = number.parse::<u64>() {
        return whole
            .checked_mul(multiplier)
            .ok_or_else(|| format!("{raw:?} is too large"));
    }
    let value = number.parse::<f64>().map_err(|_| bad_size(raw))? * multiplier as f64;
    if value >= u64::MAX as f64 {
        return Err(format!("{raw:?} is too large"));
    }
    // Rounds down, as documented.
    Ok(value as u64)
}

/// [`parse_size`], refusing zero.
pub fn parse_positive_size(raw: &str) -> Result<u64, String> {
    match parse_size(raw)? {
        0 => Err("must be at least 1 byte".to_owned()),
        size => Ok(size),
    }
}

fn bad_size(raw: &str) -> String {
    format!(
        "{raw:?} is not a size: use bytes (100) or a number with K, M, G or T (512K, 10M, 1.5G)"
    )
}

/// `BUCKET/PATH`, split at the first `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketPath {
    /// The bucket.
    pub bucket: String,
    /// The object path in it.
    pub path: String,
}

/// Parses `BUCKET/PATH`; both parts must be non-empty (the core validates them further).
pub fn parse_bucket_path(raw: &str) -> Result<BucketPath, String> {
    match raw.split_once('/') {
        Some((bucket, path)) if !bucket.is_empty() && !path.is_empty() => Ok(BucketPath {
            bucket: bucket.to_owned(),
            path: path.to_owned(),
        }),
        _ => Err(format!(
            "{raw:?} is not BUCKET/PATH (e.g. default/photos/cat.jpg)"
        )),
    }
}

/// How files are sent, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum StrategyArg {
    /// One request for small files, tus for large ones.
    #[default]
    Auto,
    /// One PUT to a locally signed URL.
    Put,
    /// A multipart POST with a freshly minted upload token.
    Multipart,
    /// Resumable tus, in chunks.
    Tus,
}

impl From<StrategyArg> for Strategy {
    fn from(arg: StrategyArg) -> Self {
        match arg {
            StrategyArg::Auto => Self::Auto,
            StrategyArg::Put => Self::Single(SingleRequest::SignedPut),
            StrategyArg::Multipart => Self::Single(SingleRequest::MultipartToken),
            StrategyArg::Tus => Self::Tus,
        }
    }
}

/// `1234567` as `1.2 MiB`, for people.
pub fn human_bytes(bytes: u64) -> String {
    const NAMES: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < NAMES.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", NAMES[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_bytes_or_binary_units() {
        let cases = [
            ("100", 100),
            ("0", 0),
            ("512K", 512 * 1024),
            ("512k", 512 * 1024),
            ("10M", 10 * 1024 * 1024),
            ("10MiB", 10 * 1024 * 1024),
            ("10mb", 10 * 1024 * 1024),
            ("1.5G", 1536 * 1024 * 1024),
            ("2T", 2 * 1024_u64.pow(4)),
            ("0.5K", 512),
            (" 16M ", 16 * 1024 * 1024),
            ("100B", 100),
        ];
        for (raw, expected) in cases {
            assert_eq!(parse_size(raw), Ok(expected), "{raw}");
        }
    }

    #[test]
    fn bad_sizes_are_refused_with_a_hint() {
        for raw in [
            "",
            "M",
            "-1",
            "1.2.3",
            "10X",
            "ten",
            "1e3",
            "99999999999999999999",
            "20000000T",
        ] {
            let error = parse_size(raw).expect_err(raw);
            assert!(error.contains(&format!("{raw:?}")), "{raw}: {error}");
        }
        assert!(parse_positive_size("0").is_err());
        assert_eq!(parse_positive_size("1"), Ok(1));
    }

    #[test]
    fn bucket_paths_split_at_the_first_slash() {
        assert_eq!(
            parse_bucket_path("default/a/b.jpg"),
            Ok(BucketPath {
                bucket: "default".into(),
                path: "a/b.jpg".into()
            })
        );
        for bad in ["default", "default/", "/a", ""] {
            assert!(parse_bucket_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(10 * 1024 * 1024), "10.0 MiB");
    }
}
