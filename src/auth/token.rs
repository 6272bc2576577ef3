//! Personal access tokens: random, shown once, stored as SHA-256.

use rand::Rng;
use sha2::{Digest, Sha256};

/// Prefix that makes a mirrorforge token recognisable in secret scanners.
pub const TOKEN_PREFIX: &str = "mf_";

/// A fresh token: the prefix and 40 hex characters (160 random bits).
#[must_use]
pub fn generate() -> String {
    let bytes: [u8; 20] = rand::rng().random();
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// The stored form of a token.
#[must_use]
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The last eight characters, shown in lists so a user can tell tokens apart.
#[must_use]
pub fn last_eight(token: &str) -> String {
    token
        .get(token.len().saturating_sub(8)..)
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_unique_and_hashed() {
        let a = super::generate();
        assert!(a.starts_with("mf_") && a.len() == 43);
        assert_ne!(a, super::generate());
        assert_eq!(super::hash(&a).len(), 64);
        assert_eq!(super::last_eight(&a), a[35..]);
    }
}
