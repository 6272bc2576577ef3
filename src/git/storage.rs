//! Bare repositories on disk: create and remove.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// The branch a new repository's HEAD points at.
pub const DEFAULT_BRANCH: &str = "main";

/// Creates an empty bare repository whose HEAD names `main`.
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
        git2::Repository::init_opts(&path, &options).map_err(Error::internal)?;
        Ok(())
    })
    .await
    .map_err(Error::internal)?
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
