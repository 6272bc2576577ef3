//! Putting refs back where a run found them: each ref goes to the value it had before (or is
//! deleted when the run created it), through the same transaction as a pull's writes, so
//! what a restore overwrites is kept under the restoring run's id. Blocking (libgit2): call
//! inside `spawn_blocking`.

use std::path::Path;

use git2::{ObjectType, Oid, Repository};

use super::{
    ref_write::{RefWriteError, RefWrites},
    refs::RefChange,
};

/// One ref to put back: its full name and the id it goes back to (`None`: deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// Full ref name.
    pub name: String,
    /// The value it had before the run (`None`: the run created it).
    pub back_to: Option<String>,
}

/// One ref a restore changes: what it is now and what it goes back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Full ref name.
    pub name: String,
    /// Its id now (`None`: it does not exist now).
    pub now: Option<String>,
    /// The id it goes back to (`None`: it is deleted).
    pub back_to: Option<String>,
}

/// Why refs could not be put back.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// An old value's commit is no longer in the repository (its kept ref expired).
    #[error("{name} cannot go back to {sha}: that commit is no longer kept here")]
    Gone {
        /// The ref.
        name: String,
        /// The id it would go back to.
        sha: String,
    },
    /// The repository could not be read.
    #[error("{0}")]
    Git(#[from] git2::Error),
    /// The refs could not be written (nothing was).
    #[error("{0}")]
    Write(String),
}

impl From<RefWriteError> for RestoreError {
    fn from(e: RefWriteError) -> Self {
        Self::Write(e.to_string())
    }
}

/// The id `name` has in `repo` now.
fn current(repo: &Repository, name: &str) -> Option<Oid> {
    repo.find_reference(name).ok().and_then(|r| r.target())
}

/// Whether `oid` names an object here whose commit (and tree) can be read.
fn present(repo: &Repository, oid: Oid) -> bool {
    match repo.find_object(oid, None) {
        Ok(object) if object.kind() == Some(ObjectType::Commit) => repo
            .find_commit(oid)
            .and_then(|c| c.tree().map(|_| ()))
            .is_ok(),
        Ok(_) => true,
        Err(_) => false,
    }
}

/// What putting `wanted` back in `repo` changes: refs already at their old value are left
/// out.
fn steps_in(repo: &Repository, wanted: &[Wanted]) -> Result<Vec<Step>, RestoreError> {
    let mut steps = Vec::new();
    for want in wanted {
        let back_to = match &want.back_to {
            Some(sha) => {
                let gone = || RestoreError::Gone {
                    name: want.name.clone(),
                    sha: sha.clone(),
                };
                let oid = Oid::from_str(sha).map_err(|_| gone())?;
                if !present(repo, oid) {
                    return Err(gone());
                }
                Some(oid)
            }
            None => None,
        };
        let now = current(repo, &want.name);
        if now != back_to {
            steps.push(Step {
                name: want.name.clone(),
                now: now.map(|o| o.to_string()),
                back_to: back_to.map(|o| o.to_string()),
            });
        }
    }
    Ok(steps)
}

/// What putting `wanted` back in the repository at `path` would change, nothing written.
///
/// # Errors
/// An old value's commit is gone, or the repository cannot be read.
pub fn plan(path: &Path, wanted: &[Wanted]) -> Result<Vec<Step>, RestoreError> {
    let repo = Repository::open_bare(path)?;
    steps_in(&repo, wanted)
}

/// Puts `wanted` back in the repository at `path` as run `run_id`, in one transaction that
/// keeps what it overwrites under that run's id; the changes it made.
///
/// # Errors
/// An old value's commit is gone, the repository cannot be read, or the write was refused
/// (then nothing was written).
pub fn restore(
    path: &Path,
    wanted: &[Wanted],
    run_id: i64,
) -> Result<Vec<RefChange>, RestoreError> {
    let repo = Repository::open_bare(path)?;
    let steps = steps_in(&repo, wanted)?;
    let parse = |sha: &Option<String>| -> Result<Option<Oid>, RestoreError> {
        sha.as_deref()
            .map(Oid::from_str)
            .transpose()
            .map_err(RestoreError::from)
    };
    let mut writes = RefWrites::default();
    let mut forced = Vec::new();
    for step in &steps {
        let (now, back_to) = (parse(&step.now)?, parse(&step.back_to)?);
        match (now, back_to) {
            (Some(now), None) => writes.deletes.push((step.name.clone(), now)),
            (now, Some(back_to)) => {
                let rewinds = now.is_some_and(|now| {
                    now != back_to && !repo.graph_descendant_of(back_to, now).unwrap_or(false)
                });
                forced.push(rewinds);
                writes.sets.push((step.name.clone(), now, back_to));
            }
            (None, None) => {}
        }
    }
    let kept = writes.write(&repo, run_id)?;
    let mut forced = forced.into_iter();
    Ok(steps
        .into_iter()
        .map(|step| {
            let is_forced = step.back_to.is_some() && forced.next().unwrap_or(false);
            RefChange {
                kept: kept.contains(&step.name),
                forced: is_forced,
                diverged: false,
                name: step.name,
                old: step.now,
                new: step.back_to,
                source_ref: None,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::{
        kept,
        test_repo::{commit, target},
    };

    fn want(name: &str, back_to: Option<Oid>) -> Wanted {
        Wanted {
            name: name.to_owned(),
            back_to: back_to.map(|o| o.to_string()),
        }
    }

    #[test]
    fn moved_created_and_deleted_refs_go_back_and_what_is_overwritten_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let old = commit(&repo, &[], "old");
        let new = commit(&repo, &[], "new");
        repo.reference("refs/heads/main", new, false, "t").unwrap();
        repo.reference("refs/heads/created", new, false, "t")
            .unwrap();
        repo.reference("refs/heads/same", old, false, "t").unwrap();
        let wanted = [
            want("refs/heads/main", Some(old)),
            want("refs/heads/created", None),
            want("refs/heads/deleted", Some(old)),
            want("refs/heads/same", Some(old)),
        ];
        assert_eq!(
            plan(dir.path(), &wanted).unwrap().len(),
            3,
            "same is left out"
        );
        let changes = restore(dir.path(), &wanted, 5).unwrap();
        assert_eq!(target(&repo, "refs/heads/main"), Some(old));
        assert_eq!(target(&repo, "refs/heads/created"), None);
        assert_eq!(target(&repo, "refs/heads/deleted"), Some(old));
        let main = changes
            .iter()
            .find(|c| c.name == "refs/heads/main")
            .unwrap();
        assert!(main.forced && main.kept);
        assert_eq!(main.old.as_deref(), Some(new.to_string().as_str()));
        let kept_names: Vec<String> = kept::list(dir.path())
            .unwrap()
            .into_iter()
            .map(|k| k.reference)
            .collect();
        assert_eq!(kept_names, ["refs/heads/created", "refs/heads/main"]);
        // Again: nothing left to change.
        assert!(restore(dir.path(), &wanted, 6).unwrap().is_empty());
    }

    #[test]
    fn a_commit_no_longer_here_refuses_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let new = commit(&repo, &[], "new");
        repo.reference("refs/heads/main", new, false, "t").unwrap();
        let gone = "1234567890123456789012345678901234567890";
        let wanted = [
            want("refs/heads/extra", None),
            Wanted {
                name: "refs/heads/main".to_owned(),
                back_to: Some(gone.to_owned()),
            },
        ];
        let refused = restore(dir.path(), &wanted, 7).unwrap_err();
        assert!(matches!(refused, RestoreError::Gone { .. }), "{refused}");
        assert!(refused.to_string().contains("no longer kept"));
        let target = repo.find_reference("refs/heads/main").unwrap().target();
        assert_eq!(target, Some(new));
    }
}
