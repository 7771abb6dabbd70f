//! Signed URLs: a method, host, bucket, path, expiry and optional constraints, HMAC-signed with a key
//! derived from an API key, so a client can authorize one request without sharing the key.
//!
//! Canonical string (lines joined by `\n`):
//! `MEDIASAUR-HMAC-SHA256`, METHOD, lowercase `host[:port]`, percent-encoded `/{bucket}/{path}`, expiry
//! (unix seconds), and the sorted `k=v&…` of every other query parameter (empty when none). Every query
//! parameter except `signature` is therefore covered by the signature.

use std::collections::BTreeMap;
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use url::Url;

use crate::{BucketName, ErrorCode, ObjectPath};

/// First line of every canonical string.
pub const ALGORITHM: &str = "MEDIASAUR-HMAC-SHA256";
/// The label the URL-signing key is derived with.
pub const KEY_DERIVATION_LABEL: &str = "mediasaur-url-v1";
/// Query parameter holding the expiry.
pub const EXPIRY_PARAM: &str = "expiry";
/// Query parameter holding the signature.
pub const SIGNATURE_PARAM: &str = "signature";
/// Signed constraint: largest body a signed PUT accepts, in bytes.
pub const MAX_SIZE_PARAM: &str = "max_size";

const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256(api_key, "mediasaur-url-v1"): what signs URLs. The server stores this, never the key.
#[derive(Clone)]
pub struct UrlSigningKey([u8; 32]);

impl UrlSigningKey {
    /// Derives the signing key from an API key.
    pub fn derive(api_key: &str) -> Self {
        let mut mac = HmacSha256::new_from_slice(api_key.as_bytes()).expect("any key length");
        mac.update(KEY_DERIVATION_LABEL.as_bytes());
        Self(mac.finalize().into_bytes().into())
    }

    /// Wraps stored key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key bytes, for storage.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for UrlSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UrlSigningKey(…)")
    }
}

/// The HTTP method a signed URL authorizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedMethod {
    /// Download.
    Get,
    /// Upload.
    Put,
}

impl SignedMethod {
    /// `GET` or `PUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
        }
    }

    /// Parses `GET`/`PUT` (any case); `HEAD` is authorized by a GET signature.
    pub fn parse(method: &str) -> Option<Self> {
        match method.to_ascii_uppercase().as_str() {
            "GET" | "HEAD" => Some(Self::Get),
            "PUT" => Some(Self::Put),
            _ => None,
        }
    }
}

/// Everything a signature covers.
#[derive(Debug, Clone)]
pub struct UrlTarget<'a> {
    /// The method authorized.
    pub method: SignedMethod,
    /// Lowercase `host[:port]` of the server's public URL; see [`host_of`].
    pub host: &'a str,
    /// The bucket.
    pub bucket: &'a BucketName,
    /// The object path.
    pub path: &'a ObjectPath,
    /// Unix seconds after which the URL stops working.
    pub expiry: i64,
    /// Signed constraints such as `max_size`, by name.
    pub constraints: &'a BTreeMap<String, String>,
}

/// Lowercase `host[:port]` of `url`, the port only when it is not the scheme's default.
pub fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

fn constraints_line(constraints: &BTreeMap<String, String>) -> String {
    constraints
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical string for `target`.
pub fn canonical_string(target: &UrlTarget<'_>) -> String {
    [
        ALGORITHM.to_owned(),
        target.method.as_str().to_owned(),
        target.host.to_ascii_lowercase(),
        format!("/{}/{}", target.bucket, target.path.encoded()),
        target.expiry.to_string(),
        constraints_line(target.constraints),
    ]
    .join("\n")
}

/// base64url-nopad(HMAC-SHA256(key, canonical string)).
pub fn signature(key: &UrlSigningKey, target: &UrlTarget<'_>) -> String {
    URL_SAFE_NO_PAD.encode(raw_signature(key, target))
}

fn raw_signature(key: &UrlSigningKey, target: &UrlTarget<'_>) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(&key.0).expect("any key length");
    mac.update(canonical_string(target).as_bytes());
    mac.finalize().into_bytes().into()
}

/// A full signed URL under `base` (the server's public URL) for `target`. The host signed is `base`'s;
/// a path in `base` (a server behind a reverse proxy under a prefix) is kept in the URL but is not part of
/// the canonical path, which is always `/{bucket}/{path}` as the server itself sees it.
pub fn sign_url(
    key: &UrlSigningKey,
    base: &Url,
    method: SignedMethod,
    bucket: &BucketName,
    path: &ObjectPath,
    expiry: i64,
    constraints: &BTreeMap<String, String>,
) -> Url {
    let host = host_of(base);
    let target = UrlTarget {
        method,
        host: &host,
        bucket,
        path,
        expiry,
        constraints,
    };
    let mut query = constraints_line(constraints);
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&format!(
        "{EXPIRY_PARAM}={expiry}&{SIGNATURE_PARAM}={}",
        signature(key, &target)
    ));
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{prefix}/{bucket}/{}", path.encoded()));
    url.set_query(Some(&query));
    url
}

/// The signing parts of a URL's query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedQuery {
    /// Unix seconds.
    pub expiry: i64,
    /// base64url signature.
    pub signature: String,
    /// Every other parameter: all are signed.
    pub constraints: BTreeMap<String, String>,
}

/// Why a signed URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The query has no usable `expiry` and `signature`.
    #[error("the URL is not signed: it needs expiry and signature parameters")]
    NotSigned,
    /// A parameter appears twice, or the expiry is not a number.
    #[error("the URL's signing parameters are malformed")]
    Malformed,
    /// No key produced this signature for this method, host, path, expiry and constraints.
    #[error("the URL's signature does not match")]
    SignatureInvalid,
    /// The signature is good but the expiry has passed.
    #[error("the signed URL has expired")]
    Expired,
}

impl UrlError {
    /// The wire error code for this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Expired => ErrorCode::UrlExpired,
            _ => ErrorCode::SignatureInvalid,
        }
    }
}

/// Splits a raw query string; `Ok(None)` when it carries no signature at all.
pub fn parse_query(query: Option<&str>) -> Result<Option<SignedQuery>, UrlError> {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    let mut params = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if params.insert(k.into_owned(), v.into_owned()).is_some() {
            return Err(UrlError::Malformed);
        }
    }
    let signature = params.remove(SIGNATURE_PARAM);
    let expiry = params.remove(EXPIRY_PARAM);
    match (expiry, signature) {
        (None, None) => Ok(None),
        (Some(expiry), Some(signature)) => Ok(Some(SignedQuery {
            expiry: expiry.parse().map_err(|_| UrlError::Malformed)?,
            signature,
            constraints: params,
        })),
        _ => Err(UrlError::NotSigned),
    }
}

/// Checks `query` against every candidate key (constant-time per key), then the expiry at `now`.
/// Returns the index of the key that signed it.
pub fn verify_url<'k>(
    keys: impl IntoIterator<Item = &'k UrlSigningKey>,
    method: SignedMethod,
    host: &str,
    bucket: &BucketName,
    path: &ObjectPath,
    query: &SignedQuery,
    now: i64,
) -> Result<usize, UrlError> {
    let given = URL_SAFE_NO_PAD
        .decode(query.signature.as_bytes())
        .map_err(|_| UrlError::SignatureInvalid)?;
    let target = UrlTarget {
        method,
        host,
        bucket,
        path,
        expiry: query.expiry,
        constraints: &query.constraints,
    };
    let mut matched = None;
    for (index, key) in keys.into_iter().enumerate() {
        let expected = raw_signature(key, &target);
        if bool::from(expected.as_slice().ct_eq(&given)) && matched.is_none() {
            matched = Some(index);
        }
    }
    let index = matched.ok_or(UrlError::SignatureInvalid)?;
    if query.expiry <= now {
        return Err(UrlError::Expired);
    }
    Ok(index)
}
