//! `ApiKey`: an `sk_` key held in memory only, impossible to print and wiped when dropped.

use mediasaur_api::API_KEY_PREFIX;
use zeroize::Zeroizing;

use crate::error::{ClientError, ClientResult};

/// An API key. It has neither `Debug` nor `Display` on purpose, so no log line, panic or error can
/// carry it; the only way out is [`ApiKey::expose`], for the `Authorization` header and URL signing.
#[allow(missing_debug_implementations)] // A Debug impl is exactly what could leak the key.
pub struct ApiKey(Zeroizing<String>);

impl ApiKey {
    /// Accepts `sk_` followed by URL-safe characters; surrounding whitespace (a pasted newline) is
    /// dropped. The error never repeats the input.
    pub fn parse(raw: &str) -> ClientResult<Self> {
        let raw = Zeroizing::new(raw.trim().to_owned());
        let body = raw.strip_prefix(API_KEY_PREFIX).unwrap_or_default();
        let well_formed = body.len() >= 16
            && body.len() <= 256
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(ClientError::invalid(
                mediasaur_api::ErrorCode::Unauthorized,
                "that is not an API key: keys look like sk_ followed by at least 16 letters and digits",
            ));
        }
        Ok(Self(raw))
    }

    /// The key itself. Call sites: the `Authorization` header, URL signing and the keyring.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters, to tell keys apart in listings.
    pub fn hint(&self) -> String {
        let tail: String = self.0.chars().rev().take(4).collect();
        format!("sk_…{}", tail.chars().rev().collect::<String>())
    }
}

impl Clone for ApiKey {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_trimmed_keys_and_refuses_others_without_echoing_them() {
        let key = ApiKey::parse(" sk_abcdefghijklmnop0123\n").unwrap();
        assert_eq!(key.expose(), "sk_abcdefghijklmnop0123");
        assert_eq!(key.hint(), "sk_…0123");
        for bad in [
            "",
            "sk_",
            "sk_short",
            "pk_abcdefghijklmnop0123",
            "sk_abc def ghi jkl mno p",
        ] {
            // One fixed message whatever was typed: nothing of the input is echoed.
            let error = ApiKey::parse(bad).err().expect(bad);
            assert_eq!(error.code(), "unauthorized");
            assert!(error.to_string().starts_with("that is not an API key"));
            assert!(!error.to_string().contains("abcdefghijklmnop"));
        }
    }
}
