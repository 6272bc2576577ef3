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

/// Why a connection to `addr` (`host:port`) failed, in words a user can act on and without
/// the operating system's code ("connection refused by 127.0.0.1:9", never "(os error 111)").
#[must_use]
pub fn connect_failure(addr: &str, err: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::ConnectionRefused => format!("connection refused by {addr}"),
        ErrorKind::TimedOut => format!("no answer from {addr} (the connection timed out)"),
        ErrorKind::ConnectionReset => format!("connection reset by {addr}"),
        ErrorKind::ConnectionAborted => format!("connection to {addr} aborted"),
        ErrorKind::HostUnreachable => format!("{addr} is unreachable (no route to the host)"),
        ErrorKind::NetworkUnreachable => {
            format!("{addr} is unreachable (the network cannot be reached)")
        }
        ErrorKind::AddrNotAvailable => format!("{addr} is not an address this server can reach"),
        _ => format!("could not connect to {addr}: {}", plain_io(err)),
    }
}

/// An I/O error's message without the operating system's code and with a lower-case first
/// letter, so it reads inside a sentence: "Connection refused (os error 111)" becomes
/// "connection refused".
#[must_use]
pub fn plain_io(err: &std::io::Error) -> String {
    let message = without_os_code(&err.to_string());
    let mut chars = message.chars();
    match chars.next() {
        Some(first) if chars.clone().next().is_some_and(char::is_lowercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => message,
    }
}

/// `message` without the operating system's error code (" (os error N)"), which tells a
/// user nothing.
#[must_use]
pub fn without_os_code(message: &str) -> String {
    const MARK: &str = " (os error ";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(MARK) {
        let after = &rest[at + MARK.len()..];
        match after.find(')') {
            Some(end)
                if end > 0 && after[..end].chars().all(|c| c.is_ascii_digit() || c == '-') =>
            {
                out.push_str(&rest[..at]);
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str(&rest[..at + MARK.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_name_the_address_and_no_os_code() {
        let refused = std::io::Error::from_raw_os_error(111);
        let text = connect_failure("127.0.0.1:9", &refused);
        if refused.kind() == std::io::ErrorKind::ConnectionRefused {
            assert_eq!(text, "connection refused by 127.0.0.1:9");
        }
        assert!(!text.contains("os error"), "{text}");
        assert_eq!(
            plain_io(&std::io::Error::other("Broken pipe (os error 32)")),
            "broken pipe"
        );
        assert_eq!(
            without_os_code("a: Connection refused (os error 111); b (os error 2)"),
            "a: Connection refused; b"
        );
        assert_eq!(
            without_os_code("failed to lookup address information: Name or service not known"),
            "failed to lookup address information: Name or service not known"
        );
        assert_eq!(without_os_code("TLS (os error x)"), "TLS (os error x)");
    }
}
