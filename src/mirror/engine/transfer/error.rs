//! Why a transfer of a sync failed, kept typed from the wire up: the sentence a user sees is
//! built once, from the type, where it is shown.

use crate::{
    git::fetch_push::error::TransferError,
    lfs::{client::LfsError, ssh_access::LfsAccessError, store::Oid},
    mirror::secrets::DecryptError,
    net::error::UrlError,
};

/// Why one transfer (a pull or a push, with its LFS objects) failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The git transfer failed, or it was cancelled or timed out.
    #[error(transparent)]
    Transfer(#[from] TransferError),
    /// The LFS objects could not be moved.
    #[error(transparent)]
    Lfs(#[from] LfsObjectsError),
    /// A stored login or key will not decrypt.
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
    /// The stored URL cannot be read.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// The repository has no upstream URL to pull from.
    #[error("no upstream URL is set")]
    NoUpstream,
    /// The URL names no host to connect to.
    #[error("URL has no host")]
    NoHost,
    /// The database failed (reading the pinned host keys).
    #[error("{0}")]
    Database(#[source] crate::error::Error),
}

impl SyncError {
    /// Whether someone cancelled the sync.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Transfer(TransferError::Cancelled))
    }

    /// Whether the mass-deletion guard stopped the pull (nothing was changed).
    #[must_use]
    pub fn is_mass_deletion(&self) -> bool {
        matches!(self, Self::Transfer(TransferError::MassDeletion(_)))
    }

    /// Network trouble, timeouts and server errors of the git transfer are worth retrying
    /// sooner.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transfer(e) if e.is_transient())
    }
}

/// Why the LFS objects of a transfer could not be moved.
#[derive(Debug, thiserror::Error)]
pub enum LfsObjectsError {
    /// The LFS server or an object failed.
    #[error(transparent)]
    Lfs(#[from] LfsError),
    /// The LFS endpoint refused, and no login was sent to it.
    #[error(
        "{0}; no login was sent to the LFS endpoint (the upstream's goes only to its own scheme, host and port): set lfs_username and lfs_password for it"
    )]
    NoLoginSent(LfsError),
    /// A pointer names an object above this server's limit.
    #[error(
        "LFS object {oid} is {size} bytes, above this server's limit of {limit} bytes (MIRRORFORGE_LFS_MAX_OBJECT_SIZE)"
    )]
    TooLarge {
        /// The object.
        oid: Oid,
        /// Its size as the pointer gives it.
        size: u64,
        /// This server's limit.
        limit: u64,
    },
    /// The batch answer's size is not the pointer's.
    #[error(
        "LFS object {oid}: the remote announced {announced} bytes where the pointer says {pointer}"
    )]
    SizeMismatch {
        /// The object.
        oid: Oid,
        /// The size the batch answer gave.
        announced: i64,
        /// The size the pointer gives.
        pointer: u64,
    },
    /// A push needs an object this repository does not hold.
    #[error(
        "LFS object {0} is not in this repository's LFS store, so it cannot be pushed (turn LFS on for the pull, or push it here with git lfs push)"
    )]
    NotOurs(Oid),
    /// The objects that arrived could not be linked to the repository.
    #[error("LFS objects could not be recorded: {0}")]
    Record(#[source] crate::error::Error),
    /// The links could not be read.
    #[error("{0}")]
    Database(#[source] crate::error::Error),
    /// The LFS password will not decrypt.
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
    /// `git-lfs-authenticate` failed over the SSH connection.
    #[error(transparent)]
    Authenticate(#[from] TransferError),
    /// `git-lfs-authenticate` answered something unreadable.
    #[error(transparent)]
    Access(#[from] LfsAccessError),
    /// A blocking task of ours failed.
    #[error("internal error: {0}")]
    Internal(String),
}
