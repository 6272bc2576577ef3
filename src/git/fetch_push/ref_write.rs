//! How a pull's ref changes are written here. When none overwrites history, libgit2 writes
//! them as before (kept refs cost nothing then). When one does — a ref moved to a commit that
//! does not contain its old value, or deleted — every change goes into one
//! `git update-ref --stdin` transaction that first keeps each old value as a kept ref
//! ([`crate::git::kept`]): git locks every ref before it writes any, and writes the kept refs
//! before the updates and the updates before the deletions, so a crash never leaves a ref
//! overwritten without its old value kept.

use std::{collections::BTreeSet, io::Write, path::Path, process::Stdio};

use git2::{Oid, Repository};

use crate::git::kept;

/// The ref changes a pull writes.
#[derive(Debug, Default)]
pub(super) struct RefWrites {
    /// Refs to delete, with the value they have now.
    pub deletes: Vec<(String, Oid)>,
    /// Refs to create (no old value) or move.
    pub sets: Vec<(String, Option<Oid>, Oid)>,
}

/// Why the refs could not be written.
#[derive(Debug, thiserror::Error)]
pub(super) enum RefWriteError {
    /// libgit2 refused a write.
    #[error("{0}")]
    Git(#[from] git2::Error),
    /// `git update-ref` could not run or refused the transaction (nothing was written).
    #[error("git update-ref: {0}")]
    UpdateRef(String),
    /// A ref name the remote sent is not a valid ref name (nothing was written).
    #[error("the remote sent an invalid ref name: {0:?}")]
    BadName(String),
}

/// Whether moving a ref from `old` to `new` loses what `old` reached (not a fast-forward).
fn overwrites(repo: &Repository, old: Oid, new: Oid) -> bool {
    old != new && !super::shallow::descends(repo, new, old)
}

/// Whether two ref names cannot live side by side (one is a directory of the other).
fn in_the_way(a: &str, b: &str) -> bool {
    let nested = |short: &str, long: &str| {
        long.strip_prefix(short)
            .is_some_and(|rest| rest.starts_with('/'))
    };
    nested(a, b) || nested(b, a)
}

impl RefWrites {
    /// The refs whose old value must be kept: every deletion and every move that is not a
    /// fast-forward, with that old value.
    fn to_keep(&self, repo: &Repository) -> Vec<(String, Oid)> {
        let moved = self.sets.iter().filter_map(|(name, old, new)| {
            old.filter(|old| overwrites(repo, *old, *new))
                .map(|old| (name.clone(), old))
        });
        self.deletes.iter().cloned().chain(moved).collect()
    }

    /// Writes the changes in `repo`; with `run_id`, what they overwrite is kept first, in the
    /// same transaction. Returns the names of the refs whose old value was kept.
    ///
    /// # Errors
    /// A ref could not be written; with something to keep, nothing was.
    pub(super) fn write(
        &self,
        repo: &Repository,
        run_id: i64,
    ) -> Result<BTreeSet<String>, RefWriteError> {
        // Names come from the remote: each must be a ref name git accepts before one of them
        // goes into a line of `update-ref --stdin` (a space or a newline would start another
        // command there).
        let names = self
            .deletes
            .iter()
            .map(|(name, _)| name)
            .chain(self.sets.iter().map(|(name, _, _)| name));
        for name in names {
            if !git2::Reference::is_valid_name(name) {
                return Err(RefWriteError::BadName(name.clone()));
            }
        }
        let keep = self.to_keep(repo);
        if keep.is_empty() {
            // Deletions first: `refs/heads/a` may be going where `refs/heads/a/b` comes.
            for (name, _) in &self.deletes {
                if let Ok(mut reference) = repo.find_reference(name) {
                    reference.delete()?;
                }
            }
            for (name, _, new) in &self.sets {
                repo.reference(name, *new, true, "mirror: pull")?;
            }
            return Ok(BTreeSet::new());
        }
        let mut first = String::new();
        for (name, old) in &keep {
            first.push_str(&format!("create {} {old}\n", kept::name(run_id, name)));
        }
        for (name, old) in &self.deletes {
            first.push_str(&format!("delete {name} {old}\n"));
        }
        let mut then = String::new();
        for (name, old, new) in &self.sets {
            match old {
                Some(old) => then.push_str(&format!("update {name} {new} {old}\n")),
                None => then.push_str(&format!("create {name} {new}\n")),
            }
        }
        // git refuses to create `a/b` while `a` exists in the same transaction: then the
        // deletions (with every kept ref) go first, in a transaction of their own.
        let split = self
            .deletes
            .iter()
            .any(|(gone, _)| self.sets.iter().any(|(set, _, _)| in_the_way(gone, set)));
        if split {
            update_ref(repo.path(), &first)?;
            if !then.is_empty() {
                update_ref(repo.path(), &then)?;
            }
        } else {
            first.push_str(&then);
            update_ref(repo.path(), &first)?;
        }
        Ok(keep.into_iter().map(|(name, _)| name).collect())
    }
}

/// Runs `commands` as one `git update-ref --stdin` transaction in the repository at `git_dir`.
fn update_ref(git_dir: &Path, commands: &str) -> Result<(), RefWriteError> {
    let failed = |e: std::io::Error| RefWriteError::UpdateRef(e.to_string());
    let mut child = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args(["update-ref", "--stdin"])
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(failed)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(commands.as_bytes()).map_err(failed)?;
    }
    let output = child.wait_with_output().map_err(failed)?;
    if output.status.success() {
        Ok(())
    } else {
        let said = String::from_utf8_lossy(&output.stderr);
        Err(RefWriteError::UpdateRef(said.trim().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::test_repo::{commit, target};

    #[test]
    fn fast_forwards_keep_nothing_and_rewrites_keep_the_old_value() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let base = commit(&repo, &[], "base");
        let ahead = commit(&repo, &[base], "ahead");
        let other = commit(&repo, &[], "other");
        for name in ["refs/heads/main", "refs/heads/ff", "refs/heads/gone"] {
            repo.reference(name, base, false, "test").unwrap();
        }
        let forward = RefWrites {
            deletes: Vec::new(),
            sets: vec![("refs/heads/ff".to_owned(), Some(base), ahead)],
        };
        assert!(forward.write(&repo, 1).unwrap().is_empty());
        assert_eq!(target(&repo, "refs/heads/ff"), Some(ahead));
        assert!(kept::list(dir.path()).unwrap().is_empty());

        let rewrite = RefWrites {
            deletes: vec![("refs/heads/gone".to_owned(), base)],
            sets: vec![
                ("refs/heads/main".to_owned(), Some(base), other),
                ("refs/heads/new".to_owned(), None, other),
            ],
        };
        let kept_names = rewrite.write(&repo, 7).unwrap();
        assert_eq!(
            kept_names.into_iter().collect::<Vec<_>>(),
            ["refs/heads/gone", "refs/heads/main"]
        );
        assert_eq!(target(&repo, "refs/heads/main"), Some(other));
        assert_eq!(target(&repo, "refs/heads/new"), Some(other));
        assert_eq!(target(&repo, "refs/heads/gone"), None);
        assert_eq!(
            target(&repo, "refs/mirrorforge/kept/7/refs/heads/main"),
            Some(base)
        );
        assert_eq!(
            target(&repo, "refs/mirrorforge/kept/7/refs/heads/gone"),
            Some(base)
        );
    }

    #[test]
    fn a_remote_ref_name_cannot_smuggle_a_command_into_the_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let base = commit(&repo, &[], "base");
        let other = commit(&repo, &[], "other");
        repo.reference("refs/heads/main", base, false, "test")
            .unwrap();
        repo.reference("refs/heads/keep", base, false, "test")
            .unwrap();
        let hostile = RefWrites {
            deletes: Vec::new(),
            sets: vec![
                ("refs/heads/main".to_owned(), Some(base), other),
                (
                    format!("refs/heads/x {other}\ndelete refs/heads/keep"),
                    None,
                    other,
                ),
            ],
        };
        let refused = hostile.write(&repo, 9).unwrap_err();
        assert!(matches!(refused, RefWriteError::BadName(_)), "{refused}");
        assert_eq!(target(&repo, "refs/heads/keep"), Some(base));
        assert_eq!(target(&repo, "refs/heads/main"), Some(base));
        assert!(kept::list(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn a_stale_old_value_writes_nothing_and_a_deleted_directory_makes_room() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let base = commit(&repo, &[], "base");
        let other = commit(&repo, &[], "other");
        repo.reference("refs/heads/main", base, false, "test")
            .unwrap();
        repo.reference("refs/heads/a", base, false, "test").unwrap();
        // Someone moved main meanwhile: the transaction names the value it expected.
        let stale = RefWrites {
            deletes: vec![("refs/heads/a".to_owned(), base)],
            sets: vec![("refs/heads/main".to_owned(), Some(other), base)],
        };
        let refused = stale.write(&repo, 3).unwrap_err();
        assert!(refused.to_string().contains("update-ref"), "{refused}");
        assert_eq!(target(&repo, "refs/heads/a"), Some(base));
        assert!(kept::list(dir.path()).unwrap().is_empty(), "nothing kept");

        let room = RefWrites {
            deletes: vec![("refs/heads/a".to_owned(), base)],
            sets: vec![("refs/heads/a/b".to_owned(), None, other)],
        };
        room.write(&repo, 4).unwrap();
        assert_eq!(target(&repo, "refs/heads/a/b"), Some(other));
        assert_eq!(
            target(&repo, "refs/mirrorforge/kept/4/refs/heads/a"),
            Some(base)
        );
    }
}
