//! Kept refs: the old value of a ref a sync overwrote or deleted here, kept as
//! `refs/mirrorforge/kept/<run id>/<full ref name>` so no commit is lost. Everything under
//! [`HIDDEN`] is ours alone: stock git hides it from clients, and no mirror reads it.
//! Blocking (libgit2): call inside `spawn_blocking`.

use std::path::Path;

use git2::Repository;

/// The refs no client sees (`transfer.hideRefs`), and that no transfer carries.
pub const HIDDEN: &str = "refs/mirrorforge";

/// Where kept refs live, each below its run's id.
pub const PREFIX: &str = "refs/mirrorforge/kept/";

/// The name that keeps `reference`'s old value overwritten by run `run_id`.
#[must_use]
pub fn name(run_id: i64, reference: &str) -> String {
    format!("{PREFIX}{run_id}/{reference}")
}

/// The run id and the original full ref name a kept ref's name holds; `None` for any other ref.
#[must_use]
pub fn parse(name: &str) -> Option<(i64, &str)> {
    let (run, reference) = name.strip_prefix(PREFIX)?.split_once('/')?;
    let run = run.parse().ok()?;
    reference.starts_with("refs/").then_some((run, reference))
}

/// One kept ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptRef {
    /// The run that overwrote or deleted the ref.
    pub run_id: i64,
    /// The original full ref name.
    pub reference: String,
    /// The id it had before.
    pub sha: String,
}

/// Every kept ref of the repository at `path`, newest run first, then by ref name.
///
/// # Errors
/// The repository cannot be read.
pub fn list(path: &Path) -> Result<Vec<KeptRef>, git2::Error> {
    let repo = Repository::open_bare(path)?;
    let mut kept = Vec::new();
    for reference in repo.references_glob(&format!("{PREFIX}*"))? {
        let reference = reference?;
        let (Ok(full), Some(oid)) = (reference.name(), reference.target()) else {
            continue;
        };
        if let Some((run_id, original)) = parse(full) {
            kept.push(KeptRef {
                run_id,
                reference: original.to_owned(),
                sha: oid.to_string(),
            });
        }
    }
    kept.sort_by(|a, b| {
        b.run_id
            .cmp(&a.run_id)
            .then_with(|| a.reference.cmp(&b.reference))
    });
    Ok(kept)
}

/// What a kept commit says about itself: its message's first line, its author and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptCommit {
    /// The first line of its message.
    pub summary: String,
    /// Its author's name.
    pub author: String,
    /// Its author date, seconds since the epoch.
    pub time: i64,
}

/// The commits `shas` name in the repository at `path`, by id; ids that are no commit here
/// are left out.
///
/// # Errors
/// The repository cannot be opened.
pub fn commits(
    path: &Path,
    shas: &[String],
) -> Result<std::collections::HashMap<String, KeptCommit>, git2::Error> {
    let repo = Repository::open_bare(path)?;
    let mut found = std::collections::HashMap::new();
    for sha in shas {
        let Ok(commit) = git2::Oid::from_str(sha).and_then(|oid| repo.find_commit(oid)) else {
            continue;
        };
        let author = commit.author();
        found.insert(
            sha.clone(),
            KeptCommit {
                summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default())
                    .into_owned(),
                author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
                time: author.when().seconds(),
            },
        );
    }
    Ok(found)
}

/// Deletes the kept refs of the repository at `path` whose run `expired` selects; how many
/// went.
///
/// # Errors
/// The repository cannot be read or a ref deleted.
pub fn remove(path: &Path, expired: impl Fn(i64) -> bool) -> Result<usize, git2::Error> {
    let repo = Repository::open_bare(path)?;
    let mut names = Vec::new();
    for reference in repo.references_glob(&format!("{PREFIX}*"))? {
        let reference = reference?;
        if let Ok(full) = reference.name()
            && parse(full).is_some_and(|(run, _)| expired(run))
        {
            names.push(full.to_owned());
        }
    }
    for name in &names {
        repo.find_reference(name)?.delete()?;
    }
    Ok(names.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_not_kept_refs() {
        let kept = name(42, "refs/heads/feature/x");
        assert_eq!(kept, "refs/mirrorforge/kept/42/refs/heads/feature/x");
        assert_eq!(parse(&kept), Some((42, "refs/heads/feature/x")));
        assert_eq!(parse("refs/heads/main"), None);
        assert_eq!(parse("refs/mirrorforge/kept/x/refs/heads/main"), None);
        assert_eq!(parse("refs/mirrorforge/kept/7/main"), None);
    }

    #[test]
    fn listed_newest_run_first_and_removed_by_run() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let commit = crate::git::test_repo::commit(&repo, &[], "one");
        for (run, reference) in [
            (3, "refs/heads/a"),
            (9, "refs/tags/v1"),
            (3, "refs/heads/b"),
        ] {
            repo.reference(&name(run, reference), commit, false, "test")
                .unwrap();
        }
        repo.reference("refs/heads/main", commit, false, "test")
            .unwrap();
        let listed = list(dir.path()).unwrap();
        let order: Vec<(i64, &str)> = listed
            .iter()
            .map(|k| (k.run_id, k.reference.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                (9, "refs/tags/v1"),
                (3, "refs/heads/a"),
                (3, "refs/heads/b")
            ]
        );
        assert_eq!(listed[0].sha, commit.to_string());
        assert_eq!(remove(dir.path(), |run| run < 5).unwrap(), 2);
        assert_eq!(list(dir.path()).unwrap().len(), 1);
        assert!(repo.find_reference("refs/heads/main").is_ok());
    }
}
