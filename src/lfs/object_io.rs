//! One object in and out of a repository (the basic transfer adapter's `PUT`, `GET` and
//! `verify`): uploads stream to disk, checked against their oid and size as they come, and
//! are linked to the repository only once stored; downloads and verifies see only what the
//! repository links.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sea_orm::DatabaseConnection;
use tokio::fs::File;

use super::{
    links,
    store::{LfsStore, Oid, StoreError},
};
use crate::error::Error;

/// Why an upload was not stored (nothing is kept, not even a temporary file).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The announced size is above the server's limit (413).
    #[error("the object is {size} bytes, larger than this server's limit of {limit} bytes")]
    TooLarge {
        /// The announced size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The content does not match its oid or announced size (422).
    #[error(transparent)]
    Mismatch(StoreError),
    /// The client's body broke off (400).
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    /// The client sent nothing for this many seconds (408).
    #[error("no data arrived for {0} s; the upload was stopped")]
    Stalled(u64),
    /// The disk or the database failed (500).
    #[error(transparent)]
    Internal(#[from] Error),
}

impl From<StoreError> for UploadError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Io(e) => Self::Internal(Error::internal(e)),
            mismatch => Self::Mismatch(mismatch),
        }
    }
}

/// What an upload may be.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// The largest object, in bytes.
    pub max_object_size: u64,
    /// How long the body may go without a byte arriving.
    pub idle_timeout: Duration,
}

/// Receives `oid` of `size` bytes for `repository_id` from `body`, then links it. An object
/// already on disk (for another repository) is received and checked all the same: having its
/// oid does not prove the client has its content.
///
/// # Errors
/// See [`UploadError`].
pub async fn upload<S, E>(
    db: &DatabaseConnection,
    store: &LfsStore,
    repository_id: i64,
    (oid, size): (&Oid, u64),
    limits: UploadLimits,
    body: S,
) -> Result<(), UploadError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    if size > limits.max_object_size {
        return Err(UploadError::TooLarge {
            size,
            limit: limits.max_object_size,
        });
    }
    let mut incoming = store.receive(oid, size).await.map_err(Error::internal)?;
    let mut body = std::pin::pin!(body);
    loop {
        let next = tokio::time::timeout(limits.idle_timeout, body.next())
            .await
            .map_err(|_| UploadError::Stalled(limits.idle_timeout.as_secs()))?;
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| UploadError::Interrupted(e.to_string()))?;
        incoming.write(&chunk).await?;
    }
    incoming.finish().await?;
    links::link(db, repository_id, oid, size).await?;
    // Deleting the last other repository that had it may have removed the file between the
    // rename and the link: then the link is wrong, and the client must send it again.
    if store.size_of(oid).await != Some(size) {
        let _ = links::unlink(db, repository_id, oid).await;
        return Err(UploadError::Internal(Error::internal_msg(format!(
            "LFS object {oid} was removed while it was being stored"
        ))));
    }
    Ok(())
}

/// `oid` for download from `repository_id`, with its size; `None` when the repository does
/// not reference it or it is not on disk.
///
/// # Errors
/// The database or the disk failed.
pub async fn download(
    db: &DatabaseConnection,
    store: &LfsStore,
    repository_id: i64,
    oid: &Oid,
) -> Result<Option<(File, u64)>, Error> {
    if !links::linked(db, repository_id, oid).await? {
        return Ok(None);
    }
    match store.open(oid).await {
        Ok(file) => {
            let size = file.metadata().await.map_err(Error::internal)?.len();
            Ok(Some((file, size)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::internal(e)),
    }
}

/// What `verify` finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Stored for the repository with the size asked.
    Stored,
    /// Not stored for the repository.
    Missing,
    /// Stored with another size.
    OtherSize(u64),
}

/// Whether `repository_id` has `oid` with `size` bytes.
///
/// # Errors
/// The database failed.
pub async fn verify(
    db: &DatabaseConnection,
    store: &LfsStore,
    repository_id: i64,
    oid: &Oid,
    size: u64,
) -> Result<Verified, Error> {
    if !links::linked(db, repository_id, oid).await? {
        return Ok(Verified::Missing);
    }
    Ok(match store.size_of(oid).await {
        None => Verified::Missing,
        Some(stored) if stored == size => Verified::Stored,
        Some(stored) => Verified::OtherSize(stored),
    })
}
