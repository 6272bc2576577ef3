//! Bare repositories on disk: create, move and remove; their default branch.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The branch a new repository's HEAD points at.
pub const DEFAULT_BRANCH: &str = "main";

/// Creates an empty bare repository whose HEAD names `main`, hiding our own refs from clients.
///
/// # Errors
/// The directory exists already or cannot be written.
pub async fn init_bare(path: PathBuf) -> Result<()> {
    tokio::task::spawn_blocking(move || {
        if path.exists() {
            return Err(Error::Conflict(format!(
                "a repository directory already exists at {}",
                path.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            )));
        }
        let mut options = git2::RepositoryInitOptions::new();
        options
            .bare(true)
            .mkdir(true)
            .mkpath(true)
            .initial_head(DEFAULT_BRANCH);
        let repo = git2::Repository::init_opts(&path, &options).map_err(Error::internal)?;
        // Our own refs stay ours also for a stock git serving this directory directly (the
        // server passes the same setting on every git command line).
        repo.config()
            .and_then(|mut config| config.set_str("transfer.hideRefs", crate::git::kept::HIDDEN))
            .map_err(Error::internal)?;
        Ok(())
    })
    .await
    .map_err(Error::internal)?
}

/// Writes the first commit of the empty repository at `path`: `README.md` holding `readme`,
/// by `author`, on the branch `branch` (which HEAD names).
///
/// # Errors
/// The repository cannot be opened or written, or already has the branch.
pub async fn write_first_commit(
    path: PathBuf,
    branch: String,
    readme: String,
    author: crate::repos::Author,
) -> Result<()> {
    tokio::task::spawn_blocking(move || {
        let repo = git2::Repository::open_bare(&path).map_err(Error::internal)?;
        let blob = repo.blob(readme.as_bytes()).map_err(Error::internal)?;
        let mut tree = repo.treebuilder(None).map_err(Error::internal)?;
        tree.insert("README.md", blob, i32::from(git2::FileMode::Blob))
            .map_err(Error::internal)?;
        let tree = repo
            .find_tree(tree.write().map_err(Error::internal)?)
            .map_err(Error::internal)?;
        let signature =
            git2::Signature::now(&author.name, &author.email).map_err(Error::internal)?;
        repo.commit(
            Some(&format!("refs/heads/{branch}")),
            &signature,
            &signature,
            "Initial commit",
            &tree,
            &[],
        )
        .map_err(Error::internal)?;
        Ok(())
    })
    .await
    .map_err(Error::internal)?
}

/// When HEAD names a branch that does not exist (a new repository whose first push brought
/// `master`, or another name), points it at a branch that does — `main` or `master` when
/// pushed, else the first by name — as GitHub and Gitea do, so clones check something out.
/// Returns the branch HEAD now names, when it changed.
///
/// # Errors
/// The repository could not be read or its HEAD written.
pub fn adopt_a_pushed_branch(path: &Path) -> Result<Option<String>, git2::Error> {
    let repo = git2::Repository::open_bare(path)?;
    let head = repo.find_reference("HEAD")?;
    let Some(target) = head.symbolic_target()?.map(str::to_owned) else {
        return Ok(None); // a detached HEAD is someone's choice
    };
    if repo.find_reference(&target).is_ok() {
        return Ok(None);
    }
    let mut branches: Vec<String> = repo
        .references_glob("refs/heads/*")?
        .filter_map(|r| r.ok()?.name().ok().map(str::to_owned))
        .collect();
    branches.sort();
    let preferred = ["refs/heads/main", "refs/heads/master"]
        .into_iter()
        .find(|name| branches.iter().any(|b| b == name))
        .map(str::to_owned);
    let Some(branch) = preferred.or_else(|| branches.into_iter().next()) else {
        return Ok(None);
    };
    repo.set_head(&branch)?;
    Ok(Some(branch))
}

/// Removes a repository directory; a missing one is not an error.
///
/// # Errors
/// The directory could not be removed.
pub async fn remove(path: PathBuf) -> Result<()> {
    match tokio::fs::remove_dir_all(&path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::internal(e)),
    }
}

/// Moves a repository directory from `from` to `to` (a rename or a move to another owner),
/// making the new owner's directory when needed.
///
/// # Errors
/// Something is at `to` already, or the move failed.
pub async fn move_dir(from: PathBuf, to: PathBuf) -> Result<()> {
    tokio::task::spawn_blocking(move || {
        if to.exists() && !same_file(&from, &to) {
            return Err(Error::Conflict(
                "a repository directory already exists at the new path".to_owned(),
            ));
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(Error::internal)?;
        }
        std::fs::rename(&from, &to).map_err(Error::internal)
    })
    .await
    .map_err(Error::internal)?
}

/// Whether `a` and `b` name one directory (a case-only rename on a case-insensitive disk).
fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// Whether the repository at `path` has the branch `name`.
///
/// # Errors
/// The repository cannot be opened.
pub async fn has_branch(path: PathBuf, name: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let repo = git2::Repository::open_bare(&path).map_err(Error::internal)?;
        let full = format!("refs/heads/{name}");
        Ok(git2::Reference::is_valid_name(&full) && repo.find_reference(&full).is_ok())
    })
    .await
    .map_err(Error::internal)?
}

/// Points HEAD of the repository at `path` at the branch `name` (which exists).
///
/// # Errors
/// The repository cannot be opened or its HEAD written.
pub async fn set_head(path: PathBuf, name: String) -> Result<()> {
    tokio::task::spawn_blocking(move || {
        let repo = git2::Repository::open_bare(&path).map_err(Error::internal)?;
        repo.set_head(&format!("refs/heads/{name}"))
            .map_err(Error::internal)
    })
    .await
    .map_err(Error::internal)?
}
