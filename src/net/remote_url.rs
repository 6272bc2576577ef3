//! A remote repository's URL as mirroring carries it: parsed once, normalised, without
//! credentials, from the settings to the connection.

use std::fmt;

use url::Url;

use super::{error::UrlError, url_policy};

/// An `http`/`https` URL of a remote repository whose form was checked (no credentials, a
/// host, at most 500 characters) and which is kept as parsed, so what is shown is what is
/// connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteUrl(Url);

impl RemoteUrl {
    /// Checks the form only (no DNS): literal addresses are judged, names are left for the
    /// connection.
    ///
    /// # Errors
    /// A refusal a user can act on.
    pub fn parse(raw: &str, allow_local: bool) -> Result<Self, UrlError> {
        url_policy::check_syntax(raw, allow_local).map(Self)
    }

    /// Checks the form and resolves the host: every address must be allowed (on save).
    ///
    /// # Errors
    /// A refusal a user can act on.
    pub async fn check(raw: &str, allow_local: bool) -> Result<Self, UrlError> {
        url_policy::check(raw, allow_local).await.map(Self)
    }

    /// A URL derived from one already checked (same scheme and host, another path).
    #[must_use]
    pub(crate) fn from_checked(url: Url) -> Self {
        Self(url)
    }

    /// The URL as text (what is stored and shown).
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL.
    #[must_use]
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// Whether `other` names the same scheme, host and port.
    #[must_use]
    pub fn same_origin(&self, other: &Self) -> bool {
        self.0.scheme() == other.0.scheme()
            && self.0.host_str() == other.0.host_str()
            && self.0.port_or_known_default() == other.0.port_or_known_default()
    }
}

impl fmt::Display for RemoteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<RemoteUrl> for String {
    fn from(url: RemoteUrl) -> Self {
        url.0.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_once_normalised_and_compared_by_origin() {
        let url = RemoteUrl::parse(" HTTP://Example.COM:80/a/../r.git ", false).unwrap();
        assert_eq!(url.as_str(), "http://example.com/r.git");
        assert_eq!(url.to_string(), "http://example.com/r.git");
        let other_path = RemoteUrl::parse("http://example.com/x.git", false).unwrap();
        let other_port = RemoteUrl::parse("http://example.com:8080/r.git", false).unwrap();
        let other_scheme = RemoteUrl::parse("https://example.com/r.git", false).unwrap();
        assert!(url.same_origin(&other_path));
        assert!(!url.same_origin(&other_port));
        assert!(!url.same_origin(&other_scheme));
        assert!(RemoteUrl::parse("https://u:p@example.com/r.git", false).is_err());
    }
}
