//! SSH host keys as mirroring pins them: a host (`name`, or `[name]:port` off port 22, as in
//! `known_hosts`), the key's type and its SHA-256 fingerprint (`SHA256:…`, as `ssh-keygen -l`
//! prints it). Trust on first use, except for the public forges whose published keys are known
//! here, so even their first connection is checked.

use base64::{Engine, engine::general_purpose::STANDARD_NO_PAD};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// One host key a repository trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HostKey {
    /// `name`, or `[name]:port` when the port is not 22.
    pub host: String,
    /// The key's algorithm name, e.g. `ssh-ed25519`.
    pub key_type: String,
    /// `SHA256:` and the unpadded base64 of the SHA-256 of the key blob.
    pub fingerprint_sha256: String,
}

impl HostKey {
    /// The key `blob` (the SSH wire encoding, as the server sends it) that `host` presented.
    #[must_use]
    pub fn of_blob(host: String, blob: &[u8]) -> Self {
        Self {
            host,
            key_type: key_type_of(blob),
            fingerprint_sha256: fingerprint(blob),
        }
    }
}

/// How a host is named in pins: `name` on port 22, else `[name]:port`.
#[must_use]
pub fn host_label(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_ascii_lowercase()
    } else {
        format!("[{}]:{port}", host.to_ascii_lowercase())
    }
}

/// `SHA256:` and the unpadded base64 of the SHA-256 of `blob`.
#[must_use]
pub fn fingerprint(blob: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(blob)))
}

/// The algorithm name a key blob starts with (a length-prefixed string), or `unknown`.
fn key_type_of(blob: &[u8]) -> String {
    let Some((len, rest)) = blob.split_first_chunk::<4>() else {
        return "unknown".to_owned();
    };
    let len = u32::from_be_bytes(*len) as usize;
    rest.get(..len)
        .and_then(|name| std::str::from_utf8(name).ok())
        .filter(|name| name.len() <= 64 && name.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| "unknown".to_owned(), str::to_owned)
}

/// What a presented key is, judged against the pins of its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Pinned already: go on.
    Known,
    /// Published by the forge, and the host has no pin yet: go on, and pin it.
    Published,
    /// The host has no pin: trust it, and pin it.
    FirstUse,
    /// The host is pinned to other keys: stop before anything is sent.
    Changed,
}

/// Judges `presented` against `pinned` (the repository's pins; any host) and, for a host
/// without pins, the forges' published keys.
#[must_use]
pub fn verdict(presented: &HostKey, pinned: &[HostKey]) -> Verdict {
    let published: Vec<HostKey> = PUBLISHED
        .iter()
        .filter(|(host, _, _)| *host == presented.host)
        .map(|(host, key_type, fingerprint)| HostKey {
            host: (*host).to_owned(),
            key_type: (*key_type).to_owned(),
            fingerprint_sha256: (*fingerprint).to_owned(),
        })
        .collect();
    let own: Vec<&HostKey> = pinned.iter().filter(|k| k.host == presented.host).collect();
    let first_use = own.is_empty();
    let candidates: Vec<&HostKey> = if first_use {
        published.iter().collect()
    } else {
        own
    };
    let matches = candidates.iter().any(|k| {
        k.key_type == presented.key_type && k.fingerprint_sha256 == presented.fingerprint_sha256
    });
    match (candidates.is_empty(), matches, first_use) {
        (true, _, _) => Verdict::FirstUse,
        (false, true, true) => Verdict::Published,
        (false, true, false) => Verdict::Known,
        (false, false, _) => Verdict::Changed,
    }
}

/// The key types pinned for `host`, most wanted first (so the server is asked for a key we can
/// check rather than one we have not seen).
#[must_use]
pub fn pinned_types<'a>(host: &str, pinned: &'a [HostKey]) -> Vec<&'a str> {
    let mut types: Vec<&str> = pinned
        .iter()
        .filter(|k| k.host == host)
        .map(|k| k.key_type.as_str())
        .collect();
    if types.is_empty() {
        types = PUBLISHED
            .iter()
            .filter(|(h, _, _)| *h == host)
            .map(|(_, key_type, _)| *key_type)
            .collect();
    }
    types.dedup();
    types
}

/// Host keys the forges publish (GitHub, GitLab.com, Codeberg), as `(host, type, fingerprint)`.
const PUBLISHED: &[(&str, &str, &str)] = &[
    // https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/githubs-ssh-key-fingerprints
    (
        "github.com",
        "ssh-ed25519",
        "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
    ),
    (
        "github.com",
        "ecdsa-sha2-nistp256",
        "SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM",
    ),
    (
        "github.com",
        "ssh-rsa",
        "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
    ),
    // https://docs.gitlab.com/ee/user/gitlab_com/#ssh-host-keys-fingerprints
    (
        "gitlab.com",
        "ssh-ed25519",
        "SHA256:eUXGGm1YGsMAS7vkcx6JOJdOGHPem5gQp4taiCfCLB8",
    ),
    (
        "gitlab.com",
        "ecdsa-sha2-nistp256",
        "SHA256:HbW3g8zUjNSksFbqTiUWPWg2Bq1x8xdGUrliXFzSnUw",
    ),
    (
        "gitlab.com",
        "ssh-rsa",
        "SHA256:ROQFvPThGrW4RuWLoL9tq9I9zJ42fK4XywyRtbOz/EQ",
    ),
    // https://docs.codeberg.org/security/ssh-fingerprint/
    (
        "codeberg.org",
        "ssh-ed25519",
        "SHA256:mIlxA9k46MmM6qdJOdMnAQpzGxF4WIVVL+fj+wZbw0g",
    ),
    (
        "codeberg.org",
        "ssh-rsa",
        "SHA256:6QQmYi4ppFS4/+zSZ5S4IU+4sa6rwvQ4PbhCtPEBekQ",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(key_type: &str, body: &[u8]) -> Vec<u8> {
        let mut blob = (key_type.len() as u32).to_be_bytes().to_vec();
        blob.extend_from_slice(key_type.as_bytes());
        blob.extend_from_slice(body);
        blob
    }

    #[test]
    fn a_blob_gives_its_type_and_an_openssh_style_fingerprint() {
        let key = HostKey::of_blob(host_label("Example.com", 22), &blob("ssh-ed25519", b"k"));
        assert_eq!(key.host, "example.com");
        assert_eq!(key.key_type, "ssh-ed25519");
        assert!(key.fingerprint_sha256.starts_with("SHA256:"));
        assert_eq!(key.fingerprint_sha256.len(), 7 + 43, "unpadded base64");
        assert_eq!(host_label("h", 2222), "[h]:2222");
        assert_eq!(HostKey::of_blob("h".into(), b"\xff").key_type, "unknown");
    }

    #[test]
    fn first_use_then_known_then_changed() {
        let key = HostKey::of_blob("[h]:2222".into(), &blob("ssh-ed25519", b"one"));
        let other = HostKey::of_blob("[h]:2222".into(), &blob("ssh-ed25519", b"two"));
        let elsewhere = HostKey::of_blob("g".into(), &blob("ssh-ed25519", b"two"));
        assert_eq!(verdict(&key, &[]), Verdict::FirstUse);
        assert_eq!(
            verdict(&key, std::slice::from_ref(&elsewhere)),
            Verdict::FirstUse
        );
        assert_eq!(verdict(&key, std::slice::from_ref(&key)), Verdict::Known);
        assert_eq!(verdict(&other, &[key.clone(), elsewhere]), Verdict::Changed);
    }

    #[test]
    fn published_forge_keys_check_the_first_use() {
        let fake = HostKey::of_blob("github.com".into(), &blob("ssh-ed25519", b"mitm"));
        assert_eq!(verdict(&fake, &[]), Verdict::Changed);
        let real = HostKey {
            host: "github.com".into(),
            key_type: "ssh-ed25519".into(),
            fingerprint_sha256: "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU".into(),
        };
        assert_eq!(verdict(&real, &[]), Verdict::Published);
        assert_eq!(verdict(&real, std::slice::from_ref(&real)), Verdict::Known);
        assert_eq!(
            pinned_types("github.com", &[]),
            ["ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"]
        );
    }
}
