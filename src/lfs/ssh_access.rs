//! What `git-lfs-authenticate` answers over SSH (the reference client's way to an SSH
//! remote's LFS server): the LFS API's URL and the headers to send it, usually a short-lived
//! token.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The LFS API of an SSH remote and how to sign in to it. Deliberately not `Debug`: the
/// headers hold a credential.
#[derive(Deserialize)]
pub struct SshLfsAccess {
    /// The LFS API's URL (`…/objects/batch` is below it).
    pub href: String,
    /// Headers for the batch API, e.g. `Authorization`.
    #[serde(default)]
    pub header: BTreeMap<String, String>,
}

/// Why `git-lfs-authenticate`'s answer cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LfsAccessError {
    /// Not the JSON the command answers with.
    #[error("git-lfs-authenticate answered something other than its JSON (href and header)")]
    NotJson,
    /// No URL in it.
    #[error("git-lfs-authenticate answered no href")]
    NoHref,
}

impl SshLfsAccess {
    /// Reads the command's output.
    ///
    /// # Errors
    /// The output is not the JSON the command answers with, or names no URL.
    pub fn parse(output: &[u8]) -> Result<Self, LfsAccessError> {
        let access: Self = serde_json::from_slice(output).map_err(|_| LfsAccessError::NotJson)?;
        if access.href.trim().is_empty() {
            return Err(LfsAccessError::NoHref);
        }
        Ok(access)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_of_github_and_gitlab_reads() {
        let access = SshLfsAccess::parse(
            br#"{"href":"https://lfs.example/o/r.git/info/lfs","header":{"Authorization":"RemoteAuth t0k3n"},"expires_in":86400}"#,
        )
        .unwrap();
        assert_eq!(access.href, "https://lfs.example/o/r.git/info/lfs");
        assert_eq!(access.header["Authorization"], "RemoteAuth t0k3n");
        assert!(SshLfsAccess::parse(br#"{"href":"https://x/info/lfs"}"#).is_ok());
    }

    #[test]
    fn anything_else_is_a_sentence_without_the_output() {
        let error = SshLfsAccess::parse(b"Welcome! secret-looking banner")
            .err()
            .unwrap()
            .to_string();
        assert!(!error.contains("secret"), "{error}");
        assert!(SshLfsAccess::parse(br#"{"href":""}"#).is_err());
    }
}
