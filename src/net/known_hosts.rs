//! Host keys a person pastes to pin them by hand: a `SHA256:…` fingerprint (for a host and
//! key type named beside it) or `known_hosts` lines (`host[,host…] keytype base64`, as
//! `ssh-keyscan` prints them). Each refusal names the problem; nothing half-read is kept.

use base64::{Engine, engine::general_purpose::STANDARD, engine::general_purpose::STANDARD_NO_PAD};

use super::ssh_host_key::HostKey;

/// The key types a fingerprint may be pinned for (what `ssh-keygen -l` names in brackets).
pub const KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
];

/// Why pasted text cannot be pinned. `line` counts from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PastedKeyError {
    /// Nothing was pasted.
    #[error("paste a SHA256 fingerprint or a known_hosts line")]
    Empty,
    /// An MD5 fingerprint (`MD5:aa:bb…` or `aa:bb:…`), which nothing checks any more.
    #[error("that is an MD5 fingerprint: paste the SHA256 one (ssh-keygen -l -E sha256 prints it)")]
    Md5,
    /// `SHA256:` followed by something other than 43 base64 characters.
    #[error(
        "a fingerprint is SHA256: followed by 43 base64 characters, as ssh-keygen -l prints it"
    )]
    BadFingerprint,
    /// A fingerprint without a host to pin it for, or a host that is no host name.
    #[error("the host must be a name or address, or [name]:port for a port other than 22")]
    BadHost,
    /// A fingerprint for a key type this server does not know.
    #[error("choose the key type the fingerprint belongs to")]
    BadKeyType,
    /// A hashed host name (`|1|…`), which cannot be read back.
    #[error(
        "line {line}: the host name is hashed (|1|…): paste a line with the host name in clear, as ssh-keyscan prints it without -H"
    )]
    HashedHost {
        /// The line.
        line: usize,
    },
    /// A host pattern (`*`, `?`, `!`), which names no one host.
    #[error("line {line}: host patterns (*, ? or !) cannot be pinned: name the host itself")]
    Pattern {
        /// The line.
        line: usize,
    },
    /// A `@cert-authority` or `@revoked` line.
    #[error(
        "line {line}: @cert-authority and @revoked lines cannot be pinned: paste the host's own key"
    )]
    Marker {
        /// The line.
        line: usize,
    },
    /// Not `host keytype base64`.
    #[error(
        "line {line}: a known_hosts line is the host, the key type and the key, separated by spaces"
    )]
    NotALine {
        /// The line.
        line: usize,
    },
    /// The key is not base64, or not an SSH key blob.
    #[error("line {line}: the key is not a base64 SSH public key")]
    BadKey {
        /// The line.
        line: usize,
    },
    /// The key's own type is not the one the line names.
    #[error("line {line}: the line says {said} but the key is {is}")]
    TypeMismatch {
        /// The line.
        line: usize,
        /// The type the line names.
        said: String,
        /// The type inside the key.
        is: String,
    },
}

/// The keys `text` pins: a `SHA256:` fingerprint for `host` and `key_type`, or one key for
/// each host of each `known_hosts` line (blank lines and `#` comments skipped).
///
/// # Errors
/// The first problem found; then nothing is to be pinned.
pub fn parse_pasted(
    text: &str,
    host: &str,
    key_type: &str,
) -> Result<Vec<HostKey>, PastedKeyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(PastedKeyError::Empty);
    }
    if is_md5(text) {
        return Err(PastedKeyError::Md5);
    }
    if let Some(body) = text
        .get(..7)
        .filter(|prefix| prefix.eq_ignore_ascii_case("sha256:"))
        .and_then(|_| text.get(7..))
    {
        return Ok(vec![HostKey {
            host: host_name(host).ok_or(PastedKeyError::BadHost)?,
            key_type: KEY_TYPES
                .iter()
                .find(|known| **known == key_type.trim())
                .map(|known| (*known).to_owned())
                .ok_or(PastedKeyError::BadKeyType)?,
            fingerprint_sha256: sha256_fingerprint(body)?,
        }]);
    }
    let mut keys = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let raw = raw.trim();
        if raw.is_empty() || raw.starts_with('#') {
            continue;
        }
        keys.extend(known_hosts_line(raw, index + 1)?);
    }
    if keys.is_empty() {
        return Err(PastedKeyError::Empty);
    }
    Ok(keys)
}

/// `SHA256:` and `body` normalised (unpadded), if `body` is the base64 of 32 bytes.
fn sha256_fingerprint(body: &str) -> Result<String, PastedKeyError> {
    let body = body.trim().trim_end_matches('=');
    match STANDARD_NO_PAD.decode(body) {
        Ok(digest) if digest.len() == 32 => Ok(format!("SHA256:{body}")),
        _ => Err(PastedKeyError::BadFingerprint),
    }
}

/// Whether `text` looks like an MD5 fingerprint: `MD5:` or sixteen hex pairs with colons.
fn is_md5(text: &str) -> bool {
    let hex = text.strip_prefix("MD5:").unwrap_or(text);
    let pairs: Vec<&str> = hex.split(':').collect();
    text.starts_with("MD5:")
        || (pairs.len() == 16
            && pairs
                .iter()
                .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit())))
}

/// The keys of one `known_hosts` line (number `line`): one per host it names.
fn known_hosts_line(raw: &str, line: usize) -> Result<Vec<HostKey>, PastedKeyError> {
    if raw.starts_with('@') {
        return Err(PastedKeyError::Marker { line });
    }
    let mut words = raw.split_whitespace();
    let (Some(hosts), Some(said), Some(key)) = (words.next(), words.next(), words.next()) else {
        return Err(PastedKeyError::NotALine { line });
    };
    let mut names = Vec::new();
    for host in hosts.split(',') {
        if host.starts_with("|1|") {
            return Err(PastedKeyError::HashedHost { line });
        }
        if host.contains(['*', '?', '!']) {
            return Err(PastedKeyError::Pattern { line });
        }
        names.push(host_name(host).ok_or(PastedKeyError::NotALine { line })?);
    }
    let blob = STANDARD
        .decode(key)
        .or_else(|_| STANDARD_NO_PAD.decode(key))
        .map_err(|_| PastedKeyError::BadKey { line })?;
    let found = HostKey::of_blob(String::new(), &blob);
    if found.key_type == "unknown" {
        return Err(PastedKeyError::BadKey { line });
    }
    if found.key_type != said {
        return Err(PastedKeyError::TypeMismatch {
            line,
            said: said.chars().take(64).collect(),
            is: found.key_type,
        });
    }
    let keys = names
        .into_iter()
        .map(|host| HostKey {
            host,
            key_type: found.key_type.clone(),
            fingerprint_sha256: found.fingerprint_sha256.clone(),
        })
        .collect();
    Ok(keys)
}

/// `raw` as pins name a host (`name`, or `[name]:port` off port 22), if it is one.
#[must_use]
pub fn host_name(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let (name, port) = match raw.strip_prefix('[') {
        Some(rest) => {
            let (name, port) = rest.split_once("]:")?;
            (name, port.parse::<u16>().ok().filter(|p| *p != 0)?)
        }
        None => (raw, 22),
    };
    let fine = |b: u8| b.is_ascii_alphanumeric() || b"-._:".contains(&b);
    if name.is_empty() || name.len() > 253 || name.starts_with('-') || !name.bytes().all(fine) {
        return None;
    }
    Some(super::ssh_host_key::host_label(name, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::ssh_host_key::fingerprint;

    /// An ed25519 public key as `ssh-keygen` writes it.
    const ED: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIKoS1IFxVgF6gkT69pr6jU9mbMM5J95+0gy3F6c0OEEZ";
    /// What `ssh-keygen -l` prints for it.
    const ED_SHA256: &str = "SHA256:p272llxp4ztEWTqHy61j+d3qyu54QXS7/7a2HD+tcK0";

    fn one(text: &str) -> Result<Vec<HostKey>, PastedKeyError> {
        parse_pasted(text, "[git.example]:2222", "ssh-ed25519")
    }

    #[test]
    fn a_known_hosts_line_pins_each_host_with_the_blob_fingerprint() {
        let keys = one(&format!(
            "Git.Example,[10.0.0.1]:2222 ssh-ed25519 {ED} comment"
        ))
        .unwrap();
        let blob = STANDARD.decode(ED).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].host, "git.example");
        assert_eq!(keys[1].host, "[10.0.0.1]:2222");
        assert_eq!(keys[0].key_type, "ssh-ed25519");
        assert_eq!(keys[0].fingerprint_sha256, fingerprint(&blob));
        assert_eq!(keys[0].fingerprint_sha256, ED_SHA256);
        // ssh-keyscan output: comments and blank lines skipped; [h]:22 is h.
        let keys = one(&format!(
            "# git.example:22 SSH-2.0\n\n[h]:22 ssh-ed25519 {ED}\n"
        ))
        .unwrap();
        assert_eq!(keys[0].host, "h");
    }

    #[test]
    fn a_fingerprint_takes_the_host_and_type_beside_it() {
        let fp = format!("SHA256:{}", &fingerprint(b"x")[7..]);
        let keys = one(&format!("  {fp}  ")).unwrap();
        assert_eq!(keys[0].host, "[git.example]:2222");
        assert_eq!(keys[0].fingerprint_sha256, fp);
        assert_eq!(one(&format!("{fp}=")).unwrap()[0].fingerprint_sha256, fp);
        assert_eq!(
            parse_pasted(&fp, "", "ssh-ed25519"),
            Err(PastedKeyError::BadHost)
        );
        assert_eq!(
            parse_pasted(&fp, "-oProxyCommand", "ssh-ed25519"),
            Err(PastedKeyError::BadHost)
        );
        assert_eq!(
            parse_pasted(&fp, "h", "ssh-dss"),
            Err(PastedKeyError::BadKeyType)
        );
    }

    #[test]
    fn bad_input_names_the_problem() {
        assert_eq!(one("  \n"), Err(PastedKeyError::Empty));
        assert_eq!(one("SHA256:short"), Err(PastedKeyError::BadFingerprint));
        assert_eq!(
            one("MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48"),
            Err(PastedKeyError::Md5)
        );
        assert_eq!(
            one("16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48"),
            Err(PastedKeyError::Md5)
        );
        assert_eq!(
            one(&format!("|1|abc=|def= ssh-ed25519 {ED}")),
            Err(PastedKeyError::HashedHost { line: 1 })
        );
        assert_eq!(
            one("|1|abc=|def= ssh-ed25519 AAAA"),
            Err(PastedKeyError::HashedHost { line: 1 }),
            "the hashed name is what to fix first"
        );
        assert_eq!(
            one(&format!("h ssh-ed25519 {ED}\n*.example ssh-ed25519 {ED}")),
            Err(PastedKeyError::Pattern { line: 2 })
        );
        assert_eq!(
            one(&format!("@revoked h ssh-ed25519 {ED}")),
            Err(PastedKeyError::Marker { line: 1 })
        );
        assert_eq!(
            one("h ssh-ed25519"),
            Err(PastedKeyError::NotALine { line: 1 })
        );
        assert_eq!(
            one("h ssh-ed25519 !!!"),
            Err(PastedKeyError::BadKey { line: 1 })
        );
        assert!(matches!(
            one(&format!("h ssh-rsa {ED}")),
            Err(PastedKeyError::TypeMismatch { line: 1, .. })
        ));
        let message = one(&format!("|1|x ssh-ed25519 {ED}"))
            .unwrap_err()
            .to_string();
        assert!(message.contains("hashed"), "{message}");
    }
}
