//! Random, prefixed identifiers (`file_…`, `req_…`, `sk_…`).

use rand::distributions::{Alphanumeric, DistString};

/// What an identifier names; its prefix is part of the wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdPrefix {
    /// A stored File object.
    File,
    /// A tus upload.
    Upload,
    /// One HTTP request, for correlating logs.
    Request,
    /// An upload token's `jti`.
    Token,
    /// An API key (the secret itself).
    ApiKey,
    /// An API key's public identifier.
    KeyId,
}

impl IdPrefix {
    fn prefix(self) -> &'static str {
        match self {
            Self::File => "file_",
            Self::Upload => "up_",
            Self::Request => "req_",
            Self::Token => "tok_",
            Self::ApiKey => "sk_",
            Self::KeyId => "key_",
        }
    }

    fn random_len(self) -> usize {
        match self {
            // 43 base62 characters carry over 256 bits: a secret, not a name.
            Self::ApiKey => 43,
            Self::Request => 16,
            _ => 20,
        }
    }
}

/// A new random identifier: the prefix followed by base62 characters from the OS-seeded RNG.
pub fn new_id(prefix: IdPrefix) -> String {
    let mut id = String::from(prefix.prefix());
    Alphanumeric.append_string(&mut rand::thread_rng(), &mut id, prefix.random_len());
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_ids_are_prefixed_base62_and_long_enough() {
        let id = new_id(IdPrefix::File);
        let rest = id.strip_prefix("file_").unwrap();
        assert!(rest.len() >= 16);
        assert!(rest.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(id, new_id(IdPrefix::File));
    }
}
