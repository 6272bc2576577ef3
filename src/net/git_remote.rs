//! A mirror's remote repository: an HTTP(S) URL ([`RemoteUrl`]) or an SSH address
//! ([`SshUrl`]), parsed once from what is stored and carried to the connection.

use std::fmt;

use super::{
    error::{Schemes, UrlError},
    remote_url::RemoteUrl,
    ssh_url::SshUrl,
};

/// Where a mirror pulls from or pushes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitRemote {
    /// Smart HTTP, with a username and password (or token).
    Http(RemoteUrl),
    /// SSH, with the repository's own key.
    Ssh(SshUrl),
}

impl GitRemote {
    /// Checks the form only (no DNS).
    ///
    /// # Errors
    /// A refusal a user can act on.
    pub fn parse(raw: &str, allow_local: bool) -> Result<Self, UrlError> {
        if SshUrl::looks_like(raw) {
            SshUrl::parse(raw, allow_local).map(Self::Ssh)
        } else {
            RemoteUrl::parse(raw, allow_local)
                .map(Self::Http)
                .map_err(with_ssh_hint)
        }
    }

    /// Checks the form and resolves the host: every address must be allowed (on save).
    ///
    /// # Errors
    /// A refusal a user can act on.
    pub async fn check(raw: &str, allow_local: bool) -> Result<Self, UrlError> {
        if SshUrl::looks_like(raw) {
            SshUrl::check(raw, allow_local).await.map(Self::Ssh)
        } else {
            RemoteUrl::check(raw, allow_local)
                .await
                .map(Self::Http)
                .map_err(with_ssh_hint)
        }
    }

    /// The address as stored and shown.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Http(url) => url.as_str(),
            Self::Ssh(url) => url.as_str(),
        }
    }

    /// Whether `other` is reached the same way at the same place (scheme, host and port; for
    /// SSH also the login): credentials kept for one are not handed to another.
    #[must_use]
    pub fn same_origin(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Http(a), Self::Http(b)) => a.same_origin(b),
            (Self::Ssh(a), Self::Ssh(b)) => {
                a.host() == b.host() && a.port() == b.port() && a.user() == b.user()
            }
            _ => false,
        }
    }

    /// Whether two stored addresses both read and are [`Self::same_origin`] (the address
    /// policy is not what is asked here, so local addresses read too).
    #[must_use]
    pub fn same_origin_of(a: &str, b: &str) -> bool {
        match (Self::parse(a, true), Self::parse(b, true)) {
            (Ok(a), Ok(b)) => a.same_origin(&b),
            _ => false,
        }
    }
}

/// An unknown scheme's refusal also names SSH, which a mirror takes.
fn with_ssh_hint(error: UrlError) -> UrlError {
    match error {
        UrlError::BadScheme(_) => UrlError::BadScheme(Schemes::HttpSshOrScp),
        other => other,
    }
}

impl fmt::Display for GitRemote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<GitRemote> for String {
    fn from(remote: GitRemote) -> Self {
        match remote {
            GitRemote::Http(url) => url.into(),
            GitRemote::Ssh(url) => url.as_str().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_finds_its_kind_and_its_own_errors() {
        assert!(matches!(
            GitRemote::parse("https://example.com/r.git", false),
            Ok(GitRemote::Http(_))
        ));
        assert!(matches!(
            GitRemote::parse("git@github.com:foo/bar.git", false),
            Ok(GitRemote::Ssh(_))
        ));
        let err = GitRemote::parse("ftp://example.com/r.git", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ssh://"), "{err}");
        let err = GitRemote::parse("ssh://git@-x/r.git", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("option"), "{err}");
        let a = GitRemote::parse("ssh://git@h:2222/a.git", true).unwrap();
        let b = GitRemote::parse("ssh://git@h:2222/b.git", true).unwrap();
        let c = GitRemote::parse("git@h:a.git", true).unwrap();
        let d = GitRemote::parse("https://h/a.git", true).unwrap();
        assert!(a.same_origin(&b));
        assert!(!a.same_origin(&c));
        assert!(!c.same_origin(&d));
    }
}
