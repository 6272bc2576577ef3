//! Which of the upstream's changes a pull applies here ([`PullRules`]): with
//! `fast_forward_only`, a ref the upstream moved to a commit that does not contain ours, or
//! deleted, stays as it is here and is reported `diverged`; the mass-deletion guard stops a
//! pull that would delete most refs here before anything is fetched ([`mass_deletion`]).

use std::collections::BTreeMap;

use git2::Oid;

use super::{filter::RefFilter, ref_map::RefMap, refs::RefChange};

/// Refs here above which the "more than half deleted" rule of the guard applies.
const GUARD_FROM: usize = 10;

/// How a pull treats the refs here.
#[derive(Debug, Clone, Default)]
pub struct PullRules {
    /// The refs to carry.
    pub filter: RefFilter,
    /// How their names change on the way here (the filter judges the upstream's names).
    pub map: RefMap,
    /// Apply only fast-forwards: never rewrite history here, never delete.
    pub fast_forward_only: bool,
    /// Refuse a pull that would delete every branch, or more than half of many refs.
    pub mass_delete_guard: bool,
    /// Commits of each ref's history to fetch, as `git clone --depth` does (`0`: all).
    pub depth: i32,
}

/// A pull the guard stopped: how many of the refs here the upstream no longer has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MassDeletion {
    /// Refs here the upstream dropped.
    pub dropped: usize,
    /// Refs here (those the filter selects).
    pub of: usize,
    /// The dropped ones are every branch here.
    pub every_branch: bool,
}

impl std::fmt::Display for MassDeletion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self {
            dropped,
            of,
            every_branch,
        } = self;
        let noun = if *of == 1 { "ref" } else { "refs" };
        write!(f, "the upstream dropped {dropped} of {of} {noun}")?;
        if *every_branch {
            f.write_str(" (every branch here)")?;
        }
        f.write_str(
            "; nothing was changed. If this is intended, press “Sync anyway” or sync with allow_mass_delete",
        )
    }
}

/// What the guard says of a pull from `advertised` onto `before` (both the refs the filter
/// selects): `Some` when it would delete every branch here (and there is one), or more than
/// half of the refs when there are more than ten.
#[must_use]
pub fn mass_deletion(
    before: &BTreeMap<String, Oid>,
    advertised: &BTreeMap<String, Oid>,
) -> Option<MassDeletion> {
    let dropped: Vec<&String> = before
        .keys()
        .filter(|name| !advertised.contains_key(*name))
        .collect();
    let branches = before
        .keys()
        .filter(|n| n.starts_with("refs/heads/"))
        .count();
    let branches_dropped = dropped
        .iter()
        .filter(|n| n.starts_with("refs/heads/"))
        .count();
    let every_branch = branches > 0 && branches_dropped == branches;
    let most = before.len() > GUARD_FROM && dropped.len() * 2 > before.len();
    (every_branch || most).then_some(MassDeletion {
        dropped: dropped.len(),
        of: before.len(),
        every_branch,
    })
}

impl PullRules {
    /// Whether the ref `name` here is the pull's to move or prune: one the map could make of
    /// a ref the filter selects.
    #[must_use]
    pub fn covers(&self, name: &str) -> bool {
        self.map.could_produce(name, &self.filter, true)
    }
}

/// Names each change of `changes` after the ref it came from, where a branch map renamed it
/// (`sources`: mapped name → source name).
pub(super) fn name_sources(changes: &mut [RefChange], sources: &BTreeMap<String, String>) {
    for change in changes {
        change.source_ref = sources.get(&change.name).cloned();
    }
}

/// Marks, when only fast-forwards are applied, every deletion and every move that rewrites
/// history among `changes` as diverged (left as it is here). `changes` must have been
/// through `mark_forced`.
pub(super) fn hold_back(changes: &mut [RefChange], fast_forward_only: bool) {
    if fast_forward_only {
        for change in changes {
            change.diverged = change.old.is_some() && (change.new.is_none() || change.forced);
        }
    }
}

/// `after` with every diverged ref of `changes` back at its value in `before`.
pub(super) fn keep_diverged(
    after: &mut BTreeMap<String, Oid>,
    before: &BTreeMap<String, Oid>,
    changes: &[RefChange],
) {
    for change in changes.iter().filter(|c| c.diverged) {
        if let Some(old) = before.get(&change.name) {
            after.insert(change.name.clone(), *old);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(names: &[&str]) -> BTreeMap<String, Oid> {
        names
            .iter()
            .map(|n| ((*n).to_owned(), Oid::ZERO_SHA1))
            .collect()
    }

    #[test]
    fn the_guard_counts_branches_and_most_refs() {
        let twelve: Vec<String> = (0..12).map(|i| format!("refs/heads/b{i:02}")).collect();
        let names: Vec<&str> = twelve.iter().map(String::as_str).collect();
        let before = refs(&names);
        let after = refs(&names[..1]);
        let held = mass_deletion(&before, &after).unwrap();
        assert_eq!((held.dropped, held.of, held.every_branch), (11, 12, false));
        assert!(
            held.to_string()
                .starts_with("the upstream dropped 11 of 12 refs; nothing was changed"),
            "{held}"
        );
        // Half of twelve is not more than half.
        assert_eq!(mass_deletion(&before, &refs(&names[..6])), None);
        assert!(mass_deletion(&before, &refs(&names[..5])).is_some());
        // Few refs: only losing every branch counts.
        let few = refs(&["refs/heads/main", "refs/tags/v1", "refs/tags/v2"]);
        assert_eq!(
            mass_deletion(&few, &refs(&["refs/tags/v1"]))
                .unwrap()
                .dropped,
            2
        );
        assert!(
            mass_deletion(&few, &refs(&["refs/tags/v1"]))
                .unwrap()
                .every_branch
        );
        assert_eq!(mass_deletion(&few, &refs(&["refs/heads/main"])), None);
        // Nothing here yet: nothing to lose.
        assert_eq!(mass_deletion(&BTreeMap::new(), &BTreeMap::new()), None);
        // Only tags here: no branch to lose.
        assert_eq!(
            mass_deletion(&refs(&["refs/tags/v1"]), &BTreeMap::new()),
            None
        );
    }

    #[test]
    fn fast_forward_only_holds_back_deletions_and_rewrites() {
        let change = |name: &str, old: Option<&str>, new: Option<&str>, forced| RefChange {
            name: name.to_owned(),
            old: old.map(str::to_owned),
            new: new.map(str::to_owned),
            forced,
            diverged: false,
            kept: false,
            source_ref: None,
        };
        let mut changes = vec![
            change("refs/heads/new", None, Some("1"), false),
            change("refs/heads/gone", Some("1"), None, false),
            change("refs/heads/main", Some("1"), Some("2"), true),
            change("refs/heads/dev", Some("1"), Some("2"), false),
        ];
        hold_back(&mut changes, false);
        assert!(changes.iter().all(|c| !c.diverged));
        hold_back(&mut changes, true);
        let diverged: Vec<&str> = changes
            .iter()
            .filter(|c| c.diverged)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(diverged, ["refs/heads/gone", "refs/heads/main"]);
    }
}
