//! Why a mirror transfer failed, as sentences a user can act on (never with a credential),
//! and how a libgit2 error becomes one.

use super::Limits;
use crate::net::{error::without_os_code, url_policy::redact};

/// Why a transfer failed, each with a sentence a user can act on and no credential in it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransferError {
    /// The remote refused the credentials that were set.
    #[error(
        "authentication failed: check the username and password (or token), or whether the repository exists there"
    )]
    Auth,
    /// The remote wants credentials and none are set: a private repository, or none at all
    /// (many hosts answer both the same way, so as not to tell which).
    #[error(
        "not found or no access: the repository does not exist there, or it is private and needs a username and password (or token)"
    )]
    NoAccess,
    /// The remote is a plain web server ("dumb" HTTP), not a git server.
    #[error(
        "the remote does not speak git's smart HTTP protocol (a plain web server?): mirror from a git server such as GitHub, GitLab, Gitea or git http-backend"
    )]
    NotSmartHttp,
    /// The repository does not exist at that URL.
    #[error("repository not found at {0}")]
    NotFound(String),
    /// The host could not be reached.
    #[error("could not connect to {url}: {}", without_os_code(.detail))]
    Connect {
        /// The URL, without credentials.
        url: String,
        /// What the network layer said.
        detail: String,
    },
    /// No answer within the limit.
    #[error("timed out after {0} s")]
    Timeout(u64),
    /// The TLS handshake failed, most often on a certificate this machine does not trust;
    /// build it with [`TransferError::tls`].
    #[error("{0}")]
    Tls(String),
    /// The remote answered with a redirect, which is not followed.
    #[error("the remote redirected to {0} — update the URL")]
    Redirect(String),
    /// The remote refused some refs (protected branches, hooks).
    #[error("remote rejected refs {0}")]
    Rejected(String),
    /// The remote failed on its side (HTTP 5xx).
    #[error("the remote failed: {0}")]
    Server(String),
    /// The SSH connection did not get as far as the service (host key, key, protocol).
    #[error("{0}")]
    Ssh(String),
    /// Someone cancelled the sync.
    #[error("the sync was cancelled")]
    Cancelled,
    /// The mass-deletion guard stopped a pull that would delete most refs here.
    #[error("{0}")]
    MassDeletion(super::MassDeletion),
    /// The branch map would land two refs on one name, or on a name that cannot be (each
    /// named); nothing was changed.
    #[error("{0}")]
    Mapping(#[from] super::ref_map::MapError),
    /// Anything else.
    #[error("{}", without_os_code(.0))]
    Other(String),
}

impl TransferError {
    /// [`TransferError::Tls`] from a TLS library's message: the reason in words when the
    /// certificate was refused ("self-signed certificate", "certificate has expired").
    #[must_use]
    pub fn tls(detail: &str) -> Self {
        if detail.contains("certificate verify failed") {
            let reason = detail
                .rsplit_once('(')
                .map_or("it did not verify", |(_, r)| r.trim_end_matches(')'));
            Self::Tls(format!(
                "the remote's TLS certificate is not trusted here ({reason})"
            ))
        } else {
            Self::Tls(format!("the TLS connection to the remote failed: {detail}"))
        }
    }

    /// Network trouble, timeouts and server errors are worth retrying sooner.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. } | Self::Timeout(_) | Self::Server(_)
        )
    }
}

/// Turns a libgit2 error into a sentence for the user; `credentials_set` tells a refused
/// password from a missing one.
pub(super) fn classify(
    err: &git2::Error,
    url: &str,
    limits: &Limits,
    credentials_set: bool,
) -> TransferError {
    let message = err.message().to_owned();
    let lower = message.to_ascii_lowercase();
    if limits.cancel.is_cancelled() {
        return TransferError::Cancelled;
    }
    if limits.expired() || lower.contains("timed out") {
        return TransferError::Timeout(limits.timeout_secs);
    }
    if err.code() == git2::ErrorCode::Auth
        || lower.contains("authentication")
        || lower.contains("status code: 401")
        || lower.contains("status code: 403")
    {
        return if credentials_set {
            TransferError::Auth
        } else {
            TransferError::NoAccess
        };
    }
    if err.code() == git2::ErrorCode::Certificate || err.class() == git2::ErrorClass::Ssl {
        return TransferError::tls(&message);
    }
    if let Some(target) = lower
        .starts_with("cannot redirect from")
        .then(|| {
            message
                .rsplit_once(" to ")
                .map(|(_, to)| to.trim_matches('\''))
        })
        .flatten()
    {
        return TransferError::Redirect(redact(target));
    }
    if lower.contains("unexpected redirect") {
        return TransferError::Redirect("another URL".to_owned());
    }
    if lower.contains("invalid content-type") {
        return TransferError::NotSmartHttp;
    }
    if lower.contains("status code: 404") || lower.contains("not found") {
        return TransferError::NotFound(redact(url));
    }
    if lower.contains("status code: 5") {
        return TransferError::Server(message);
    }
    if matches!(err.class(), git2::ErrorClass::Net | git2::ErrorClass::Os)
        || lower.contains("failed to connect")
        || lower.contains("failed to resolve")
        || lower.contains("connection refused")
        || lower.contains("could not connect")
    {
        return TransferError::Connect {
            url: redact(url),
            detail: message,
        };
    }
    TransferError::Other(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_failures_read_as_sentences() {
        let refused = "error:0A000086:SSL routines:tls_post_process_server_certificate:\
                       certificate verify failed:../ssl/statem/statem_clnt.c:1889: \
                       (self-signed certificate)";
        assert_eq!(
            TransferError::tls(refused).to_string(),
            "the remote's TLS certificate is not trusted here (self-signed certificate)"
        );
        assert_eq!(
            TransferError::tls("unexpected eof").to_string(),
            "the TLS connection to the remote failed: unexpected eof"
        );
    }
}
