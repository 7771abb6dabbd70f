//! Scoped upload tokens: `token_` followed by a compact HS256 JWT whose claims name one bucket and path.
//!
//! The JWT is handled here rather than by a general library because the contract is narrow: exactly one
//! algorithm (HS256) and one `typ` (`upload+jwt`) are accepted, so `alg: none`, algorithm confusion and
//! tokens meant for other audiences are refused before any claim is read.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{ErrorCode, TOKEN_PREFIX};

/// The `aud` claim every upload token carries.
pub const AUDIENCE: &str = "upload";
/// The `typ` header every upload token carries.
pub const TOKEN_TYPE: &str = "upload+jwt";
/// Clock skew tolerated on `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: i64 = 30;

/// The claims of an upload token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadClaims {
    /// Issuer: the server's public URL.
    pub iss: String,
    /// Audience: always [`AUDIENCE`].
    pub aud: String,
    /// The bucket the token may upload to.
    pub bkt: String,
    /// The exact object path the token may upload to.
    pub pth: String,
    /// Largest upload allowed, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
    /// Expiry, unix seconds.
    pub exp: i64,
    /// Not valid before, unix seconds.
    pub nbf: i64,
    /// Issued at, unix seconds.
    pub iat: i64,
    /// Unique id; a token is single-use.
    pub jti: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not `token_` + three base64url parts of JSON.
    #[error("the token is malformed")]
    Malformed,
    /// The header names another algorithm or type.
    #[error("the token uses an algorithm or type this server does not accept")]
    UnsupportedAlgorithm,
    /// The signature does not match the content.
    #[error("the token signature is not valid")]
    BadSignature,
    /// The token was made for another audience.
    #[error("the token is not an upload token")]
    WrongAudience,
    /// The token is past its `exp`.
    #[error("the token has expired")]
    Expired,
    /// The token's `nbf` is in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
}

impl TokenError {
    /// The wire error code for this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Expired => ErrorCode::TokenExpired,
            _ => ErrorCode::Unauthorized,
        }
    }
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length")
}

/// Signs `claims` with `secret` and returns `token_<jwt>`.
pub fn encode(claims: &UploadClaims, secret: &[u8]) -> String {
    let header = Header {
        alg: "HS256".into(),
        typ: TOKEN_TYPE.into(),
    };
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).expect("header serializes"));
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
    let signing_input = format!("{header}.{payload}");
    let mut mac = mac(secret);
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{TOKEN_PREFIX}{signing_input}.{signature}")
}

struct Parts<'a> {
    signing_input: &'a str,
    header: Header,
    claims: UploadClaims,
    signature: Vec<u8>,
}

fn split(token: &str) -> Result<Parts<'_>, TokenError> {
    let jwt = token
        .strip_prefix(TOKEN_PREFIX)
        .ok_or(TokenError::Malformed)?;
    let (signing_input, signature) = jwt.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let (header, payload) = signing_input.split_once('.').ok_or(TokenError::Malformed)?;
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| TokenError::Malformed)
    };
    let header: Header =
        serde_json::from_slice(&decode(header)?).map_err(|_| TokenError::Malformed)?;
    let claims: UploadClaims =
        serde_json::from_slice(&decode(payload)?).map_err(|_| TokenError::Malformed)?;
    Ok(Parts {
        signing_input,
        header,
        claims,
        signature: decode(signature)?,
    })
}

/// Reads the claims without checking the signature: for clients deciding when to re-mint, never for
/// authorization.
pub fn decode_unverified(token: &str) -> Result<UploadClaims, TokenError> {
    Ok(split(token)?.claims)
}

/// Checks header, signature, audience and validity window at `now` (unix seconds), in that order.
pub fn verify(token: &str, secret: &[u8], now: i64) -> Result<UploadClaims, TokenError> {
    let parts = split(token)?;
    if parts.header.alg != "HS256" || parts.header.typ != TOKEN_TYPE {
        return Err(TokenError::UnsupportedAlgorithm);
    }
    let mut mac = mac(secret);
    mac.update(parts.signing_input.as_bytes());
    mac.verify_slice(&parts.signature)
        .map_err(|_| TokenError::BadSignature)?;
    let claims = parts.claims;
    if claims.aud != AUDIENCE {
        return Err(TokenError::WrongAudience);
    }
    if claims.nbf > now + LEEWAY_SECS || claims.iat > now + LEEWAY_SECS {
        return Err(TokenError::NotYetValid);
    }
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn claims(now: i64) -> UploadClaims {
        UploadClaims {
            iss: "http://127.0.0.1:8080".into(),
            aud: AUDIENCE.into(),
            bkt: "default".into(),
            pth: "users/1/avatar.png".into(),
            max: Some(1000),
            exp: now + 60,
            nbf: now,
            iat: now,
            jti: "tok_1".into(),
        }
    }

    fn forge(header: &str, claims: &UploadClaims, secret: &[u8]) -> String {
        let h = URL_SAFE_NO_PAD.encode(header);
        let p = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
        let mut m = mac(secret);
        m.update(format!("{h}.{p}").as_bytes());
        let s = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
        format!("token_{h}.{p}.{s}")
    }

    #[test]
    fn round_trip() {
        let c = claims(1000);
        let t = encode(&c, SECRET);
        assert!(t.starts_with("token_ey"));
        assert_eq!(verify(&t, SECRET, 1000).unwrap(), c);
        assert_eq!(decode_unverified(&t).unwrap(), c);
    }

    #[test]
    fn refuses_attacks() {
        let c = claims(1000);
        let none = format!(
            "token_{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"upload+jwt"}"#),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap())
        );
        assert_eq!(
            verify(&none, SECRET, 1000),
            Err(TokenError::UnsupportedAlgorithm)
        );
        let wrong_typ = forge(r#"{"alg":"HS256","typ":"JWT"}"#, &c, SECRET);
        assert_eq!(
            verify(&wrong_typ, SECRET, 1000),
            Err(TokenError::UnsupportedAlgorithm)
        );
        let wrong_key = encode(&c, b"another secret");
        assert_eq!(
            verify(&wrong_key, SECRET, 1000),
            Err(TokenError::BadSignature)
        );

        // Edit the payload, keep the signature.
        let t = encode(&c, SECRET);
        let mut edited = c.clone();
        edited.pth = "users/2/avatar.png".into();
        let (h, rest) = t.strip_prefix("token_").unwrap().split_once('.').unwrap();
        let sig = rest.rsplit_once('.').unwrap().1;
        let tampered = format!(
            "token_{h}.{}.{sig}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&edited).unwrap())
        );
        assert_eq!(
            verify(&tampered, SECRET, 1000),
            Err(TokenError::BadSignature)
        );

        let mut aud = c;
        aud.aud = "download".into();
        assert_eq!(
            verify(&encode(&aud, SECRET), SECRET, 1000),
            Err(TokenError::WrongAudience)
        );
        assert_eq!(verify(&t, SECRET, 1060), Err(TokenError::Expired));
        assert_eq!(verify(&t, SECRET, 1000 - 31), Err(TokenError::NotYetValid));
        assert_eq!(
            verify("token_abc", SECRET, 1000),
            Err(TokenError::Malformed)
        );
        assert_eq!(verify("sk_abc", SECRET, 1000), Err(TokenError::Malformed));
        assert_eq!(TokenError::Expired.code(), ErrorCode::TokenExpired);
    }
}
