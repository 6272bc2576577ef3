//! Which refs a mirror carries, and what changed between two sets of them.

use std::collections::BTreeMap;

use git2::{Oid, Repository};

/// One ref a transfer created (`old` None), moved, or deleted (`new` None).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefChange {
    /// Full ref name.
    pub name: String,
    /// Id before.
    pub old: Option<String>,
    /// Id after.
    pub new: Option<String>,
    /// Moved to a value that does not descend from the old one (history rewritten).
    pub forced: bool,
    /// Left as it was on the remote, which keeps divergent refs: not pushed.
    pub diverged: bool,
    /// Its old value was kept here as a kept ref ([`crate::git::kept`]) when it was
    /// overwritten or deleted.
    pub kept: bool,
    /// The ref's name on the other side when a branch map renamed it (None: the same name).
    pub source_ref: Option<String>,
}

/// Refs a mirror carries: branches, tags and notes (never host-internal ones such as
/// `refs/pull/*` or `refs/merge-requests/*`, nor peeled `^{}` entries).
#[must_use]
pub fn is_mirrored_ref(name: &str, with_notes: bool) -> bool {
    !name.ends_with("^{}")
        && (name.starts_with("refs/heads/")
            || name.starts_with("refs/tags/")
            || (with_notes && name.starts_with("refs/notes/")))
}

pub(super) fn local_refs(
    repo: &Repository,
    with_notes: bool,
) -> Result<BTreeMap<String, Oid>, git2::Error> {
    let mut refs = BTreeMap::new();
    for reference in repo.references()? {
        let reference = reference?;
        let (Ok(name), Some(oid)) = (reference.name(), reference.target()) else {
            continue;
        };
        if is_mirrored_ref(name, with_notes) {
            refs.insert(name.to_owned(), oid);
        }
    }
    Ok(refs)
}

/// Whether `repo` has no ref at all yet (a repository just created for an import).
pub(super) fn none_yet(repo: &Repository) -> Result<bool, git2::Error> {
    Ok(repo.references()?.next().is_none() && !repo.path().join("packed-refs").exists())
}

/// Creates `refs` in a repository that has none yet, as one `packed-refs` file (the way
/// `git clone` writes them) instead of a file per ref: hundreds of small files cost more than
/// the rest of a fetch's end. Taken under git's lock (`packed-refs.lock`, created exclusively),
/// so a concurrent writer makes this fail instead of being overwritten. Each object must exist.
pub(super) fn create_packed(
    repo: &Repository,
    refs: &BTreeMap<String, Oid>,
) -> Result<(), std::io::Error> {
    use std::io::Write;
    let odb = repo.odb().map_err(std::io::Error::other)?;
    let mut text = String::from("# pack-refs with: sorted \n");
    // A BTreeMap of names iterates in byte order, the order `sorted` promises.
    for (name, oid) in refs {
        if !odb.exists(*oid) {
            return Err(std::io::Error::other(format!(
                "the remote did not send {oid} for {name}"
            )));
        }
        text.push_str(&format!("{oid} {name}\n"));
    }
    let path = repo.path().join("packed-refs");
    let lock = path.with_extension("lock");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&lock)?;
    let written = file.write_all(text.as_bytes()).and_then(|()| file.flush());
    drop(file);
    match written.and_then(|()| std::fs::rename(&lock, &path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&lock);
            Err(e)
        }
    }
}

/// Marks the moves in `changes` that are not fast-forwards in `repo` (an old value `repo` does
/// not have cannot be an ancestor of the new one). A new value `repo` does not have yet (a
/// preview of a pull) cannot be judged and counts as a move forward.
pub(super) fn mark_forced(repo: &Repository, changes: &mut [RefChange]) {
    let odb = repo.odb().ok();
    for change in changes {
        if let (Some(old), Some(new)) = (&change.old, &change.new) {
            let descends = match (Oid::from_str(old), Oid::from_str(new)) {
                (Ok(_), Ok(new)) if odb.as_ref().is_some_and(|odb| !odb.exists(new)) => true,
                (Ok(old), Ok(new)) => super::shallow::descends(repo, new, old),
                _ => false,
            };
            change.forced = !descends;
        }
    }
}

pub(super) fn diff(
    before: &BTreeMap<String, Oid>,
    after: &BTreeMap<String, Oid>,
) -> Vec<RefChange> {
    let mut changes = Vec::new();
    for (name, old) in before {
        match after.get(name) {
            Some(new) if new == old => {}
            new => changes.push(RefChange {
                name: name.clone(),
                old: Some(old.to_string()),
                new: new.map(Oid::to_string),
                forced: false,
                diverged: false,
                kept: false,
                source_ref: None,
            }),
        }
    }
    for (name, new) in after {
        if !before.contains_key(name) {
            changes.push(RefChange {
                name: name.clone(),
                old: None,
                new: Some(new.to_string()),
                forced: false,
                diverged: false,
                kept: false,
                source_ref: None,
            });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrored_refs_exclude_host_internal_ones() {
        assert!(is_mirrored_ref("refs/heads/main", false));
        assert!(is_mirrored_ref("refs/tags/v1", false));
        assert!(!is_mirrored_ref("refs/tags/v1^{}", false));
        assert!(!is_mirrored_ref("refs/pull/1/head", true));
        assert!(!is_mirrored_ref("refs/merge-requests/1/head", true));
        assert!(!is_mirrored_ref("HEAD", true));
        assert!(is_mirrored_ref("refs/notes/commits", true));
        assert!(!is_mirrored_ref("refs/notes/commits", false));
    }

    #[test]
    fn diff_lists_created_moved_and_deleted() {
        let a = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let b = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        let before = BTreeMap::from([
            ("refs/heads/x".to_owned(), a),
            ("refs/heads/gone".to_owned(), a),
        ]);
        let after = BTreeMap::from([
            ("refs/heads/x".to_owned(), b),
            ("refs/heads/new".to_owned(), b),
        ]);
        let changes = diff(&before, &after);
        assert_eq!(changes.len(), 3);
        assert!(
            changes
                .iter()
                .any(|c| c.name == "refs/heads/gone" && c.new.is_none())
        );
        assert!(
            changes
                .iter()
                .any(|c| c.name == "refs/heads/new" && c.old.is_none())
        );
    }

    #[test]
    fn packed_refs_are_read_back_and_need_their_objects_and_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let blob = repo.blob(b"hello").unwrap();
        let tree = {
            let mut builder = repo.treebuilder(None).unwrap();
            builder.insert("a.txt", blob, 0o100_644).unwrap();
            builder.write().unwrap()
        };
        let signature = git2::Signature::now("T", "t@example.com").unwrap();
        let commit = repo
            .commit(
                None,
                &signature,
                &signature,
                "one",
                &repo.find_tree(tree).unwrap(),
                &[],
            )
            .unwrap();
        assert!(none_yet(&repo).unwrap());
        let refs = BTreeMap::from([
            ("refs/heads/main".to_owned(), commit),
            ("refs/tags/v1".to_owned(), commit),
        ]);
        create_packed(&repo, &refs).unwrap();
        assert_eq!(local_refs(&repo, true).unwrap(), refs);
        assert!(!none_yet(&repo).unwrap());

        let other = tempfile::tempdir().unwrap();
        let empty = Repository::init_bare(other.path()).unwrap();
        let missing = create_packed(&empty, &refs).unwrap_err();
        assert!(missing.to_string().contains("did not send"), "{missing}");
        std::fs::write(other.path().join("packed-refs.lock"), "").unwrap();
        let copied = BTreeMap::new();
        assert!(
            create_packed(&empty, &copied).is_err(),
            "a held lock is respected"
        );
        assert!(!other.path().join("packed-refs").exists());
    }
}
