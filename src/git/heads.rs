//! What a repository listing says of each repository's content: its default branch and
//! whether it has any branch at all, read for a whole page of repositories at once.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A repository's branches, as a listing shows them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Heads {
    /// The branch `HEAD` names when it exists, else the first branch by name, else the
    /// (unborn) branch `HEAD` names; `""` when the repository cannot be read.
    pub default_branch: String,
    /// True when the repository has no branch.
    pub empty: bool,
}

/// Reads [`Heads`] of each repository in `paths`, in order, on one blocking thread. A
/// repository that cannot be read counts as empty (and is logged), so one broken directory
/// never hides the others.
///
/// # Errors
/// The blocking thread could not be joined.
pub async fn read_all(paths: Vec<PathBuf>) -> Result<Vec<Heads>> {
    tokio::task::spawn_blocking(move || {
        paths
            .iter()
            .map(|path| {
                read(path).unwrap_or_else(|e| {
                    tracing::warn!(path = %path.display(), error = %e, "repository unreadable");
                    Heads {
                        empty: true,
                        ..Heads::default()
                    }
                })
            })
            .collect()
    })
    .await
    .map_err(Error::internal)
}

fn read(path: &Path) -> Result<Heads, git2::Error> {
    let repo = git2::Repository::open_bare(path)?;
    let mut first: Option<String> = None;
    for reference in repo.references_glob("refs/heads/*")?.flatten() {
        if let Ok(branch) = reference.shorthand()
            && first.as_deref().is_none_or(|f| branch < f)
        {
            first = Some(branch.to_owned());
        }
    }
    // With no branch at all, the (unborn) branch `HEAD` names.
    let default_branch = default_branch(&repo, first.as_deref())
        .or_else(|| head_branch(&repo))
        .unwrap_or_default();
    Ok(Heads {
        default_branch,
        empty: first.is_none(),
    })
}

/// The branch `HEAD` names, whether or not it exists yet.
fn head_branch(repo: &git2::Repository) -> Option<String> {
    repo.find_reference("HEAD")
        .ok()
        .and_then(|r| r.symbolic_target().ok().flatten().map(str::to_owned))
        .and_then(|target| target.strip_prefix("refs/heads/").map(str::to_owned))
}

/// The branch a repository shows first: the one `HEAD` names when it exists, else `first`
/// (its first branch by name).
pub(crate) fn default_branch(repo: &git2::Repository, first: Option<&str>) -> Option<String> {
    match head_branch(repo) {
        Some(head) if repo.find_branch(&head, git2::BranchType::Local).is_ok() => Some(head),
        _ => first.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature() -> git2::Signature<'static> {
        git2::Signature::now("t", "t@example.com").expect("signature")
    }

    #[test]
    fn empty_then_a_branch_then_head_on_a_missing_branch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = git2::Repository::init_bare(dir.path()).expect("init");
        repo.set_head("refs/heads/main").expect("head");
        assert_eq!(
            read(dir.path()).expect("read"),
            Heads {
                default_branch: "main".to_owned(),
                empty: true
            }
        );

        let tree = repo
            .find_tree(repo.treebuilder(None).expect("tb").write().expect("tree"))
            .expect("tree");
        let sig = signature();
        let commit = repo
            .commit(Some("refs/heads/zeta"), &sig, &sig, "c", &tree, &[])
            .expect("commit");
        repo.reference("refs/heads/beta", commit, false, "b")
            .expect("beta");
        // HEAD names `main`, which does not exist: the first branch by name stands in.
        assert_eq!(
            read(dir.path()).expect("read"),
            Heads {
                default_branch: "beta".to_owned(),
                empty: false
            }
        );
        repo.set_head("refs/heads/zeta").expect("head");
        assert_eq!(read(dir.path()).expect("read").default_branch, "zeta");
    }

    #[test]
    fn an_unreadable_directory_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let heads = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(read_all(vec![dir.path().join("missing.git")]))
            .expect("joined");
        assert_eq!(
            heads,
            vec![Heads {
                default_branch: String::new(),
                empty: true
            }]
        );
    }
}
