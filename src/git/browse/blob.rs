//! A file of a commit's tree as the blob and raw pages show it: text (up to a size), binary,
//! too large, or an LFS pointer. A file's size is read from the object's header first, so a
//! large file is never read into memory here (its raw bytes stream from `git cat-file`).

use git2::{Oid, Repository};

use crate::error::{Error, Result};

/// The largest file the blob page shows as text.
pub const SHOWN_LIMIT: u64 = 1024 * 1024;

/// The largest file the raw route answers from memory; larger ones stream from git.
pub const RAW_IN_MEMORY: u64 = 8 * 1024 * 1024;

/// How many leading bytes decide whether a file is binary (git's own rule: a NUL in them).
const BINARY_PROBE: usize = 8000;

/// What a file holds, as the blob page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Text (lossy UTF-8).
    Text(String),
    /// Binary: offered as a download.
    Binary,
    /// Larger than [`SHOWN_LIMIT`]: offered as a download, never read.
    TooLarge,
    /// A Git LFS pointer: the object it names.
    Lfs {
        /// The object's SHA-256.
        oid: String,
        /// The object's size.
        size: u64,
    },
}

/// A file as the blob page shows it.
#[derive(Debug, Clone)]
pub struct File {
    /// The blob's id.
    pub id: String,
    /// Its size in bytes.
    pub size: u64,
    /// What it holds.
    pub content: Content,
}

/// Reads the blob `id` for the blob page.
///
/// # Errors
/// The blob cannot be read.
pub fn show(repo: &Repository, id: Oid) -> Result<File> {
    let size = size_of(repo, id)?;
    let content = if size > SHOWN_LIMIT {
        Content::TooLarge
    } else {
        let blob = repo.find_blob(id).map_err(Error::internal)?;
        let bytes = blob.content();
        if let Some(pointer) = crate::git::fetch_push::lfs_pointers::parse(bytes) {
            Content::Lfs {
                oid: pointer.oid,
                size: pointer.size,
            }
        } else if is_binary(bytes) {
            Content::Binary
        } else {
            Content::Text(String::from_utf8_lossy(bytes).into_owned())
        }
    };
    Ok(File {
        id: id.to_string(),
        size,
        content,
    })
}

/// A file as the raw route answers it.
#[derive(Debug, Clone)]
pub struct Raw {
    /// The blob's id.
    pub id: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its bytes when at most [`RAW_IN_MEMORY`]; larger files stream from git.
    pub bytes: Option<Vec<u8>>,
}

/// Reads the blob `id` for the raw route.
///
/// # Errors
/// The blob cannot be read.
pub fn raw(repo: &Repository, id: Oid) -> Result<Raw> {
    let size = size_of(repo, id)?;
    let bytes = if size > RAW_IN_MEMORY {
        None
    } else {
        Some(
            repo.find_blob(id)
                .map_err(Error::internal)?
                .content()
                .to_vec(),
        )
    };
    Ok(Raw {
        id: id.to_string(),
        size,
        bytes,
    })
}

/// Whether `bytes` look binary: a NUL among the first [`BINARY_PROBE`] of them.
#[must_use]
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(BINARY_PROBE)].contains(&0)
}

/// The size of the object `id`, from its header (the object itself is not read).
fn size_of(repo: &Repository, id: Oid) -> Result<u64> {
    let (size, _) = repo
        .odb()
        .and_then(|odb| odb.read_header(id))
        .map_err(Error::internal)?;
    Ok(size as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::test_repo;

    #[test]
    fn text_binary_and_pointers_are_told_apart() {
        let (_dir, git) = test_repo::bare();
        let text = git.blob(b"one\ntwo\n").unwrap();
        let binary = git.blob(b"PNG\0\x01\x02").unwrap();
        let pointer = git
            .blob(
                b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
            )
            .unwrap();
        assert_eq!(
            show(&git, text).unwrap().content,
            Content::Text("one\ntwo\n".into())
        );
        assert_eq!(show(&git, binary).unwrap().content, Content::Binary);
        assert!(matches!(
            show(&git, pointer).unwrap().content,
            Content::Lfs { size: 12345, .. }
        ));
        let big = git.blob(&vec![b'a'; (SHOWN_LIMIT + 1) as usize]).unwrap();
        let file = show(&git, big).unwrap();
        assert_eq!(
            (file.size, file.content),
            (SHOWN_LIMIT + 1, Content::TooLarge)
        );
        assert_eq!(raw(&git, text).unwrap().bytes.unwrap(), b"one\ntwo\n");
    }
}
