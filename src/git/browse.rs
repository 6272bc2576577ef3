//! Read-only views of a repository for its page: branches, tags, recent commits.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};

/// One commit as the repository page lists it.
#[derive(Debug, Clone)]
pub struct CommitSummary {
    /// Full object id.
    pub id: String,
    /// First seven characters of the id.
    pub short_id: String,
    /// First line of the message.
    pub summary: String,
    /// Author name.
    pub author: String,
    /// Author time.
    pub time: DateTime<Utc>,
}

/// What the repository page shows of the repository's content.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// Branch HEAD points at, if it exists.
    pub default_branch: Option<String>,
    /// Branch names, sorted.
    pub branches: Vec<String>,
    /// Tag names, sorted.
    pub tags: Vec<String>,
    /// Latest commits of the default branch, newest first.
    pub commits: Vec<CommitSummary>,
    /// Files of the default branch stored with Git LFS, at most [`LFS_LISTED`].
    pub lfs_files: Vec<LfsFile>,
}

/// A file kept with Git LFS, as its pointer in the tree names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LfsFile {
    /// Its path in the tree.
    pub path: String,
    /// The object's SHA-256 (lower-case hex), as the pointer gives it.
    pub oid: String,
    /// The object's size as the pointer gives it (the object may not be stored here).
    pub size: u64,
}

/// How many LFS files the repository page lists.
pub const LFS_LISTED: usize = 200;

impl Overview {
    /// True when nothing has been pushed yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.branches.is_empty() && self.tags.is_empty()
    }
}

/// Reads branches, tags and the `limit` latest commits of the default branch.
///
/// # Errors
/// The repository cannot be opened or read.
pub async fn overview(path: PathBuf, limit: usize) -> Result<Overview> {
    tokio::task::spawn_blocking(move || read_overview(&path, limit))
        .await
        .map_err(Error::internal)?
}

fn read_overview(path: &std::path::Path, limit: usize) -> Result<Overview> {
    let repo = git2::Repository::open_bare(path).map_err(Error::internal)?;
    let mut overview = Overview::default();
    for name in repo.references().map_err(Error::internal)?.flatten() {
        let Ok(full) = name.name() else { continue };
        if let Some(branch) = full.strip_prefix("refs/heads/") {
            overview.branches.push(branch.to_owned());
        } else if let Some(tag) = full.strip_prefix("refs/tags/") {
            overview.tags.push(tag.to_owned());
        }
    }
    overview.branches.sort();
    overview.tags.sort();
    overview.default_branch =
        super::heads::default_branch(&repo, overview.branches.first().map(String::as_str));
    let default_ref = overview
        .default_branch
        .as_ref()
        .map(|b| format!("refs/heads/{b}"));
    if let Some(reference) = &default_ref {
        overview.lfs_files = lfs_files(&repo, reference).unwrap_or_default();
    }
    if let Some(reference) = default_ref {
        let mut walk = repo.revwalk().map_err(Error::internal)?;
        walk.push_ref(&reference).map_err(Error::internal)?;
        // Newest first, and a parent never before its child (commits of the same second).
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)
            .map_err(Error::internal)?;
        for oid in walk.take(limit).flatten() {
            let Ok(commit) = repo.find_commit(oid) else {
                continue;
            };
            let id = oid.to_string();
            overview.commits.push(CommitSummary {
                short_id: id.chars().take(7).collect(),
                id,
                summary: commit.summary().ok().flatten().unwrap_or("").to_owned(),
                author: commit.author().name().unwrap_or("").to_owned(),
                time: DateTime::from_timestamp(commit.time().seconds(), 0).unwrap_or_default(),
            });
        }
    }
    Ok(overview)
}

/// The LFS files in the tree of `reference`: each small blob read as a pointer (a large one
/// is never read) and kept when its path has `filter=lfs`, until [`LFS_LISTED`] are found.
fn lfs_files(repo: &git2::Repository, reference: &str) -> Result<Vec<LfsFile>> {
    let tree = repo
        .find_reference(reference)
        .and_then(|r| r.peel_to_tree())
        .map_err(Error::internal)?;
    let odb = repo.odb().map_err(Error::internal)?;
    let mut attributes = super::attributes::Attributes::new(repo);
    let mut found = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if found.len() >= LFS_LISTED {
            return git2::TreeWalkResult::Abort;
        }
        if entry.kind() == Some(git2::ObjectType::Blob)
            && matches!(odb.read_header(entry.id()), Ok((size, _)) if size < 1024)
            && let Ok(blob) = repo.find_blob(entry.id())
            && let Some(pointer) = super::fetch_push::lfs_pointers::parse(blob.content())
        {
            let path = format!("{dir}{}", entry.name().unwrap_or("?"));
            if attributes.is_lfs(&tree, path.as_bytes()) {
                found.push(LfsFile {
                    path,
                    oid: pointer.oid,
                    size: pointer.size,
                });
            }
        }
        git2::TreeWalkResult::Ok
    })
    .ok();
    Ok(found)
}
