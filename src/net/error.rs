//! Why a remote's URL or SSH address is refused: one type for every form, whose sentence (a
//! user can act on it) is written once, here.

use std::net::IpAddr;

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 500;

/// The schemes a refusal names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schemes {
    /// HTTP only (a notification URL, an import, an LFS endpoint).
    Http,
    /// HTTP or `ssh://` (an address read as SSH).
    HttpOrSsh,
    /// HTTP, `ssh://` or the scp-like form (a mirror's remote).
    HttpSshOrScp,
}

/// Why a URL or an SSH address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Longer than [`MAX_URL_LEN`].
    #[error("URL must be at most {MAX_URL_LEN} characters")]
    TooLong,
    /// Not a URL at all.
    #[error("not a valid URL ({0})")]
    NotAUrl(url::ParseError),
    /// A scheme that is not taken.
    #[error("{}", scheme_sentence(*.0))]
    BadScheme(Schemes),
    /// An SSH address where only HTTP is taken.
    #[error(
        "an SSH address (ssh:// or user@host:path) is not accepted here: this takes an http:// or https:// URL"
    )]
    SshNotHere,
    /// A login in an HTTP URL.
    #[error("URL must not contain credentials; use the username and password fields")]
    Credentials,
    /// No host.
    #[error("URL has no host")]
    NoHost,
    /// A local or private address while local networks are not allowed.
    #[error(
        "URL host resolves to {0}, a local or private address, which is not allowed (the server's MIRRORFORGE_ALLOW_LOCAL_NETWORKS=true allows local networks)"
    )]
    Blocked(IpAddr),
    /// The host did not resolve, or one of its addresses is refused.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// Neither an `ssh://` URL nor the scp-like form.
    #[error("not a valid SSH address: write ssh://user@host[:port]/path or user@host:path")]
    NotSsh,
    /// An `ssh://` URL with no path.
    #[error("SSH URL has no path: write ssh://user@host[:port]/path")]
    SshNoSlash,
    /// A password in an SSH URL.
    #[error(
        "SSH URL must not contain a password: SSH remotes sign in with the repository's SSH key"
    )]
    SshPassword,
    /// A `[` with no `]`.
    #[error("SSH URL has an unclosed [ in its host")]
    SshBracket,
    /// A port that is not a port number.
    #[error("SSH URL port {0:?} is not a port number")]
    SshPort(String),
    /// A part of an SSH address that could be read as an option.
    #[error("SSH {part} {value:?} starts with '-', which could be read as an option")]
    SshOption {
        /// `user`, `host` or `path`.
        part: &'static str,
        /// What was given.
        value: String,
    },
    /// A login name with other characters.
    #[error("SSH user {0:?} is not a valid login name (letters, digits, '.', '_' and '-')")]
    SshUser(String),
    /// A host that is not a name.
    #[error("SSH host {0:?} is not a valid host name")]
    SshHost(String),
    /// No repository path.
    #[error("SSH URL has no repository path")]
    SshNoPath,
    /// Control characters in the path.
    #[error("SSH path must not contain control characters")]
    SshControl,
}

/// The sentence naming the schemes taken.
fn scheme_sentence(schemes: Schemes) -> &'static str {
    match schemes {
        Schemes::Http => "URL must start with http:// or https://",
        Schemes::HttpOrSsh => "URL must start with http://, https:// or ssh://",
        Schemes::HttpSshOrScp => {
            "URL must start with http://, https:// or ssh:// (or be user@host:path)"
        }
    }
}

/// Why a host's addresses may not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The name did not resolve (DNS trouble is often passing).
    #[error("{0}")]
    Unresolved(String),
    /// An address is local or private and local networks are not allowed.
    #[error("{0}")]
    Blocked(String),
}
