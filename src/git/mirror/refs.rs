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
            }),
        }
    }
    for (name, new) in after {
        if !before.contains_key(name) {
            changes.push(RefChange {
                name: name.clone(),
                old: None,
                new: Some(new.to_string()),
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
}
