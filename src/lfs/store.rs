//! LFS objects on disk, content-addressed under `DATA_DIR/lfs/`: `ab/cd/abcd…` by the oid (the
//! SHA-256 of the content). An object arrives in a temporary file, hashed and counted while it
//! streams, and is renamed into place only when its size and oid both check out, so a partial or
//! tampered upload is never visible and leaves nothing behind.

use std::{
    io,
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};
use tokio::{
    fs::File,
    io::{AsyncWriteExt, BufWriter},
};

/// A text that is not an LFS object id (its first 80 characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an LFS object id (64 lower-case hex digits)")]
pub struct OidError(String);

impl From<OidError> for String {
    fn from(error: OidError) -> Self {
        error.to_string()
    }
}

/// An LFS object id: 64 lower-case hex digits (the SHA-256 of the content).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Oid(String);

impl Oid {
    /// Checks `text` is an oid.
    ///
    /// # Errors
    /// What is wrong, in a sentence naming the text given.
    pub fn parse(text: &str) -> Result<Self, OidError> {
        if text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Self(text.to_owned()))
        } else {
            Err(OidError(text.chars().take(80).collect()))
        }
    }

    /// The oid as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Oid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why an object was not stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// More bytes arrived than the size announced.
    #[error("the object is larger than the {expected} bytes announced")]
    TooLong {
        /// The announced size.
        expected: u64,
    },
    /// Fewer bytes arrived than the size announced.
    #[error("the object has {got} bytes, not the {expected} announced")]
    SizeMismatch {
        /// The announced size.
        expected: u64,
        /// What arrived.
        got: u64,
    },
    /// The content does not hash to its oid.
    #[error("the content does not match the oid {0} (its SHA-256 is {1})")]
    OidMismatch(Oid, String),
    /// The disk failed.
    #[error("storage: {0}")]
    Io(#[from] io::Error),
}

/// The object store of one server.
#[derive(Debug, Clone)]
pub struct LfsStore {
    root: PathBuf,
}

impl LfsStore {
    /// The store under `data_dir/lfs`.
    #[must_use]
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("lfs"),
        }
    }

    /// Where `oid` lives (whether or not it is there).
    #[must_use]
    pub fn path(&self, oid: &Oid) -> PathBuf {
        let text = oid.as_str();
        self.root.join(&text[0..2]).join(&text[2..4]).join(text)
    }

    /// The size of `oid` when it is stored.
    pub async fn size_of(&self, oid: &Oid) -> Option<u64> {
        tokio::fs::metadata(self.path(oid))
            .await
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len())
    }

    /// Opens `oid` for reading.
    ///
    /// # Errors
    /// It is not stored, or the disk failed.
    pub async fn open(&self, oid: &Oid) -> io::Result<File> {
        File::open(self.path(oid)).await
    }

    /// Starts receiving `oid` of `size` bytes into a temporary file.
    ///
    /// # Errors
    /// The disk failed.
    pub async fn receive(&self, oid: &Oid, size: u64) -> io::Result<Incoming> {
        let tmp_dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&tmp_dir).await?;
        let nonce: u64 = rand::random();
        let tmp = tmp_dir.join(format!("{oid}.{nonce:016x}"));
        let file = File::create(&tmp).await?;
        Ok(Incoming {
            file: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            tmp,
            target: self.path(oid),
            oid: oid.clone(),
            size,
            written: 0,
            hasher: Sha256::new(),
        })
    }

    /// Deletes `oid` (when no repository references it any more).
    ///
    /// # Errors
    /// The disk failed (a missing object is no error).
    pub async fn remove(&self, oid: &Oid) -> io::Result<()> {
        match tokio::fs::remove_file(self.path(oid)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Bytes read from a stored object per piece when it is sent (served or uploaded): the
/// default of 4 KiB would cost a trip to the blocking pool per 4 KiB.
pub const READ_CHUNK: usize = 64 * 1024;

/// Bytes of an arriving object gathered before one write to its file: the network hands
/// them over in pieces of a few KiB, and each write of a `tokio` file is a trip to the blocking
/// pool.
const WRITE_BUFFER: usize = 256 * 1024;

/// An object arriving: hashed and counted as it streams, stored only by [`Incoming::finish`];
/// dropped unfinished, its temporary file goes.
pub struct Incoming {
    file: Option<BufWriter<File>>,
    tmp: PathBuf,
    target: PathBuf,
    oid: Oid,
    size: u64,
    written: u64,
    hasher: Sha256,
}

impl Incoming {
    /// Appends `chunk`.
    ///
    /// # Errors
    /// More than the announced size, or the disk failed.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        self.written += chunk.len() as u64;
        if self.written > self.size {
            return Err(StoreError::TooLong {
                expected: self.size,
            });
        }
        self.hasher.update(chunk);
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("the object was already finished"))?;
        file.write_all(chunk).await?;
        Ok(())
    }

    /// Checks size and oid, then moves the object into place (an object stored meanwhile by
    /// another upload is the same content, so either copy is right).
    ///
    /// # Errors
    /// The size or the oid does not match, or the disk failed; nothing is stored then.
    pub async fn finish(mut self) -> Result<u64, StoreError> {
        if self.written != self.size {
            return Err(StoreError::SizeMismatch {
                expected: self.size,
                got: self.written,
            });
        }
        let digest = hex::encode(std::mem::take(&mut self.hasher).finalize());
        if digest != self.oid.as_str() {
            return Err(StoreError::OidMismatch(self.oid.clone(), digest));
        }
        if let Some(mut file) = self.file.take() {
            file.flush().await?;
            file.get_ref().sync_all().await?;
        }
        if let Some(parent) = self.target.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        tokio::fs::rename(&self.tmp, &self.target).await?;
        Ok(self.written)
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        // Finished: the temporary file was renamed and this fails quietly.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid_of(data: &[u8]) -> Oid {
        Oid::parse(&hex::encode(Sha256::digest(data))).unwrap()
    }

    #[tokio::test]
    async fn an_object_is_stored_only_when_size_and_oid_check_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = LfsStore::new(dir.path());
        let data = b"hello large file";
        let oid = oid_of(data);

        let mut incoming = store.receive(&oid, data.len() as u64).await.unwrap();
        incoming.write(&data[..5]).await.unwrap();
        incoming.write(&data[5..]).await.unwrap();
        assert_eq!(incoming.finish().await.unwrap(), data.len() as u64);
        assert_eq!(store.size_of(&oid).await, Some(data.len() as u64));
        assert!(store.path(&oid).ends_with(format!(
            "{}/{}/{oid}",
            &oid.as_str()[..2],
            &oid.as_str()[2..4]
        )));

        // Tampered: another content under the oid, a short one, a long one.
        let other = oid_of(b"other");
        let mut wrong = store.receive(&other, 5).await.unwrap();
        wrong.write(b"OTHER").await.unwrap();
        assert!(matches!(
            wrong.finish().await,
            Err(StoreError::OidMismatch(..))
        ));
        let mut short = store.receive(&other, 9).await.unwrap();
        short.write(b"other").await.unwrap();
        assert!(matches!(
            short.finish().await,
            Err(StoreError::SizeMismatch { .. })
        ));
        let mut long = store.receive(&other, 2).await.unwrap();
        assert!(matches!(
            long.write(b"other").await,
            Err(StoreError::TooLong { .. })
        ));
        drop(long);
        assert_eq!(store.size_of(&other).await, None, "nothing stored");
        let left = std::fs::read_dir(dir.path().join("lfs/tmp"))
            .unwrap()
            .count();
        assert_eq!(left, 0, "no temporary file left");
        assert!(Oid::parse("ABC").is_err());
        assert!(Oid::parse(&"A".repeat(64)).is_err());
    }
}
