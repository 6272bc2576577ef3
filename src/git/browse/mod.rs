//! Read-only views of a repository for its pages: the overview (branches, tags, recent
//! commits), and the code pages' reads — a ref and path named by a URL ([`refs`], [`path`]),
//! a directory ([`tree`]), a file ([`blob`]), history ([`history`]) and a commit's changes
//! ([`diff`]). Each read opens the repository in a blocking thread ([`read`]).

pub mod blob;
pub mod diff;
pub mod handles;
pub mod history;
pub mod path;
pub mod refs;
pub mod tree;

use std::path::{Path, PathBuf};

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
    /// Branch and tag names, with the default branch.
    pub names: RefNames,
    /// The default branch's latest commit.
    pub tip: Option<CommitSummary>,
    /// The default branch's root directory.
    pub root: Option<tree::Listing>,
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
        self.names.branch_count == 0 && self.names.tag_count == 0
    }
}

/// Runs `read` on the bare repository `id` at `path` in a blocking thread, with a kept
/// handle when there is one ([`handles`]).
///
/// # Errors
/// The repository cannot be opened, or `read` fails.
pub async fn read<T, F>(id: i64, path: PathBuf, read: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&git2::Repository) -> Result<T> + Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let repo = match handles::take(id, &path) {
            Some(repo) => repo,
            None => open(&path)?,
        };
        let answer = read(&repo);
        handles::give_back(id, path, repo);
        answer
    })
    .await
    .map_err(Error::internal)?
}

/// Opens the bare repository at `path`.
fn open(path: &Path) -> Result<git2::Repository> {
    git2::Repository::open_bare(path).map_err(Error::internal)
}

/// `commit` as lists show it.
#[must_use]
pub fn summarize(commit: &git2::Commit<'_>) -> CommitSummary {
    let id = commit.id().to_string();
    CommitSummary {
        short_id: id.chars().take(7).collect(),
        id,
        summary: commit.summary().ok().flatten().unwrap_or("").to_owned(),
        author: commit.author().name().unwrap_or("").to_owned(),
        time: DateTime::from_timestamp(commit.time().seconds(), 0).unwrap_or_default(),
    }
}

/// A URL's `REF/PATH` found in a repository.
#[derive(Debug, Clone)]
pub struct Location {
    /// The rev the URL starts with.
    pub rev: refs::Rev,
    /// The path after it.
    pub path: path::TreePath,
    /// What the path names in the rev's tree.
    pub found: tree::Found,
}

/// Finds `rest` (`REF/PATH…`) in `repo`.
///
/// # Errors
/// [`Error::NotFound`] when no branch, tag or commit starts it, the path is not a plain path,
/// or nothing is at the path; other errors when the repository cannot be read.
pub fn locate(repo: &git2::Repository, rest: &str) -> Result<Location> {
    let (rev, raw_path) =
        refs::split_rev(repo, rest).ok_or(Error::NotFound("branch, tag or commit"))?;
    let path = path::TreePath::parse(&raw_path).ok_or(Error::NotFound("path"))?;
    let found = tree::find(repo, &rev.commit, &path)?.ok_or(Error::NotFound("path"))?;
    Ok(Location { rev, path, found })
}

/// The names a branch and tag switcher offers.
#[derive(Debug, Clone, Default)]
pub struct RefNames {
    /// The branch HEAD points at, if it exists.
    pub default_branch: Option<String>,
    /// Branch names: the default first, then by name; at most [`NAMES_LISTED`].
    pub branches: Vec<String>,
    /// How many branches there are.
    pub branch_count: usize,
    /// Tag names, highest version first; at most [`NAMES_LISTED`].
    pub tags: Vec<String>,
    /// How many tags there are.
    pub tag_count: usize,
}

/// How many branch or tag names a switcher lists.
pub const NAMES_LISTED: usize = 100;

/// The branch and tag names of `repo` (never kept refs or other namespaces).
#[must_use]
pub fn ref_names(repo: &git2::Repository) -> RefNames {
    let mut branches = refs::names_under(repo, "refs/heads/");
    let mut tags = refs::names_under(repo, "refs/tags/");
    branches.sort();
    let default_branch = super::heads::default_branch(repo, branches.first().map(String::as_str));
    branches.sort_by_key(|b| Some(b) != default_branch.as_ref());
    tags.sort_by(|a, b| refs::natural_order(b, a));
    let (branch_count, tag_count) = (branches.len(), tags.len());
    branches.truncate(NAMES_LISTED);
    tags.truncate(NAMES_LISTED);
    RefNames {
        default_branch,
        branches,
        branch_count,
        tags,
        tag_count,
    }
}

/// The commit `id` (a full id) as lists show it, if it exists.
#[must_use]
pub fn commit_summary(repo: &git2::Repository, id: &str) -> Option<CommitSummary> {
    let id = git2::Oid::from_str(id).ok()?;
    repo.find_commit(id).ok().map(|c| summarize(&c))
}

/// Reads the branch and tag names, and the default branch's latest commit, root directory
/// and LFS files.
///
/// # Errors
/// The repository cannot be opened or read.
pub async fn overview(id: i64, path: PathBuf) -> Result<Overview> {
    read(id, path, read_overview).await
}

fn read_overview(repo: &git2::Repository) -> Result<Overview> {
    let names = ref_names(repo);
    let Some(branch) = names.default_branch.clone() else {
        return Ok(Overview {
            names,
            ..Overview::default()
        });
    };
    let reference = format!("refs/heads/{branch}");
    let commit = repo
        .find_reference(&reference)
        .and_then(|r| r.peel_to_commit())
        .map_err(Error::internal)?;
    let root = tree::list(repo, commit.tree_id())?;
    // Only a repository whose `.gitattributes` names LFS is searched for pointers (the search
    // reads every small file of the tree).
    let uses_lfs = root.uses_lfs;
    Ok(Overview {
        tip: Some(summarize(&commit)),
        root: Some(root),
        lfs_files: if uses_lfs {
            lfs_files(repo, &reference).unwrap_or_default()
        } else {
            Vec::new()
        },
        names,
    })
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
