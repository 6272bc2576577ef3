//! The refs a reader browses: a URL's `REF/PATH` split into the ref and the path, and the
//! branches and tags pages. Only `refs/heads/` and `refs/tags/` are named (kept refs and any
//! other namespace never appear), and a commit is reached by its id.

use chrono::{DateTime, Utc};
use git2::{Oid, Repository};

use super::{CommitSummary, summarize};

/// What kind of name a URL used for the commit it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevKind {
    /// A branch (`refs/heads/NAME`).
    Branch,
    /// A tag (`refs/tags/NAME`).
    Tag,
    /// A commit id (or a unique prefix of one).
    Commit,
}

/// The commit a page shows and the name the URL gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rev {
    /// The name as the URL gave it: a branch, a tag, or the commit's id.
    pub name: String,
    /// Which kind of name.
    pub kind: RevKind,
    /// The commit it names (full id).
    pub commit: String,
}

/// Splits `rest` (`REF/PATH…`, where a branch or tag may hold `/`) into the rev it starts
/// with and the path after it. The shortest leading part that names a branch wins, then a
/// tag; failing both, the first segment read as a commit id (at least 7 hex digits).
#[must_use]
pub fn split_rev(repo: &Repository, rest: &str) -> Option<(Rev, String)> {
    let segments: Vec<&str> = rest.split('/').collect();
    for take in 1..=segments.len() {
        let name = segments[..take].join("/");
        let path = segments[take..].join("/");
        for (prefix, kind) in [
            ("refs/heads/", RevKind::Branch),
            ("refs/tags/", RevKind::Tag),
        ] {
            if let Some(commit) = peel_ref(repo, &format!("{prefix}{name}")) {
                let rev = Rev {
                    name,
                    kind,
                    commit: commit.to_string(),
                };
                return Some((rev, path));
            }
        }
    }
    let first = segments.first()?;
    let commit = find_commit_id(repo, first)?;
    let rev = Rev {
        name: commit.to_string(),
        kind: RevKind::Commit,
        commit: commit.to_string(),
    };
    Some((rev, segments[1..].join("/")))
}

/// The commit `full` (a `refs/heads/` or `refs/tags/` name) points at, when it is a valid
/// name that exists and leads to a commit.
fn peel_ref(repo: &Repository, full: &str) -> Option<Oid> {
    if !git2::Reference::is_valid_name(full) {
        return None;
    }
    let reference = repo.find_reference(full).ok()?;
    reference.peel_to_commit().ok().map(|c| c.id())
}

/// The commit whose id is or starts with `hex` (7 to 40 hex digits).
#[must_use]
pub fn find_commit_id(repo: &Repository, hex: &str) -> Option<Oid> {
    if !(7..=40).contains(&hex.len()) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let object = repo
        .find_object_by_prefix(hex, Some(git2::ObjectType::Commit))
        .ok()?;
    Some(object.id())
}

/// A branch as the branches page lists it.
#[derive(Debug, Clone)]
pub struct Branch {
    /// Its name (without `refs/heads/`).
    pub name: String,
    /// The commit it points at.
    pub head: CommitSummary,
    /// Whether HEAD points at it.
    pub is_default: bool,
}

/// Every branch, the default first, then the most recently committed to first.
#[must_use]
pub fn branches(repo: &Repository, default_branch: Option<&str>) -> Vec<Branch> {
    let mut found: Vec<Branch> = named(repo, "refs/heads/")
        .into_iter()
        .filter_map(|(name, reference)| {
            let commit = reference.peel_to_commit().ok()?;
            Some(Branch {
                is_default: default_branch == Some(name.as_str()),
                head: summarize(&commit),
                name,
            })
        })
        .collect();
    found.sort_by(|a, b| {
        b.is_default
            .cmp(&a.is_default)
            .then(b.head.time.cmp(&a.head.time))
            .then(a.name.cmp(&b.name))
    });
    found
}

/// A tag as the tags page lists it.
#[derive(Debug, Clone)]
pub struct Tag {
    /// Its name (without `refs/tags/`).
    pub name: String,
    /// The commit it leads to.
    pub commit: CommitSummary,
    /// When it was made: the tagger's time for an annotated tag, else the commit's.
    pub time: DateTime<Utc>,
    /// An annotated tag's message, first line.
    pub message: Option<String>,
}

/// Every tag that leads to a commit, newest first (by [`Tag::time`], then name, highest
/// first, so `0.10.0` comes before `0.9.0` made the same second).
#[must_use]
pub fn tags(repo: &Repository) -> Vec<Tag> {
    let mut found: Vec<Tag> = named(repo, "refs/tags/")
        .into_iter()
        .filter_map(|(name, reference)| {
            let commit = reference.peel_to_commit().ok()?;
            let annotated = reference.peel_to_tag().ok();
            let summary = summarize(&commit);
            let time = annotated
                .as_ref()
                .and_then(|t| t.tagger())
                .and_then(|s| DateTime::from_timestamp(s.when().seconds(), 0))
                .unwrap_or(summary.time);
            let message = annotated
                .as_ref()
                .and_then(|t| t.message().ok().flatten())
                .and_then(|m| m.lines().next())
                .map(str::to_owned)
                .filter(|m| !m.is_empty());
            Some(Tag {
                name,
                commit: summary,
                time,
                message,
            })
        })
        .collect();
    found.sort_by(|a, b| {
        b.time
            .cmp(&a.time)
            .then_with(|| natural_order(&b.name, &a.name))
    });
    found
}

/// The names after `prefix` of the references under it (as [`named`] finds them).
#[must_use]
pub fn names_under(repo: &Repository, prefix: &str) -> Vec<String> {
    named(repo, prefix)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// The references under `prefix` with their names after it (names that are not UTF-8 are
/// left out: no URL could name them).
fn named<'r>(repo: &'r Repository, prefix: &str) -> Vec<(String, git2::Reference<'r>)> {
    let Ok(references) = repo.references_glob(&format!("{prefix}*")) else {
        return Vec::new();
    };
    references
        .flatten()
        .filter_map(|reference| {
            let name = reference.name().ok()?.strip_prefix(prefix)?.to_owned();
            Some((name, reference))
        })
        .collect()
}

/// Compares names with their runs of digits as numbers (`0.0.2` before `0.0.10`).
#[must_use]
pub fn natural_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (da, ra) = digits(a);
                let (db, rb) = digits(b);
                let (ta, tb) = (trim_zeros(da), trim_zeros(db));
                let order = ta.len().cmp(&tb.len()).then(ta.cmp(tb));
                if order != std::cmp::Ordering::Equal {
                    return order;
                }
                (a, b) = (ra, rb);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (&a[1..], &b[1..]);
            }
        }
    }
}

/// The leading digits of `s` and what follows them.
fn digits(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

/// `digits` without leading zeros (at least one digit kept).
fn trim_zeros(digits: &[u8]) -> &[u8] {
    let start = digits
        .iter()
        .position(|b| *b != b'0')
        .unwrap_or(digits.len().saturating_sub(1));
    &digits[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::test_repo;

    #[test]
    fn numbers_in_names_sort_as_numbers() {
        let mut names = vec!["0.0.10", "0.0.2", "0.10.0", "0.9.1", "v1", "0.0.02"];
        names.sort_by(|a, b| natural_order(a, b));
        assert_eq!(
            names,
            ["0.0.2", "0.0.02", "0.0.10", "0.9.1", "0.10.0", "v1"]
        );
    }

    #[test]
    fn a_branch_with_a_slash_is_split_from_the_path_after_it() {
        let (_dir, git) = test_repo::bare();
        let first = test_repo::commit_files(&git, &[], &[("a.txt", b"one")], "one");
        git.reference("refs/heads/feature/x", first, false, "t")
            .unwrap();
        git.reference("refs/tags/v1", first, false, "t").unwrap();
        git.reference("refs/kept/x", first, false, "t").unwrap();
        let (rev, path) = split_rev(&git, "feature/x/docs/a.md").unwrap();
        assert_eq!(
            (rev.name.as_str(), rev.kind),
            ("feature/x", RevKind::Branch)
        );
        assert_eq!(path, "docs/a.md");
        let (rev, path) = split_rev(&git, "v1").unwrap();
        assert_eq!((rev.kind, path.as_str()), (RevKind::Tag, ""));
        let id = first.to_string();
        let (rev, path) = split_rev(&git, &format!("{}/a.txt", &id[..8])).unwrap();
        assert_eq!(
            (rev.kind, rev.commit.as_str(), path.as_str()),
            (RevKind::Commit, id.as_str(), "a.txt")
        );
        assert!(split_rev(&git, "nope/a.txt").is_none());
        assert!(split_rev(&git, "kept/x").is_none());
        assert!(split_rev(&git, "..").is_none());
        let names: Vec<String> = branches(&git, None).into_iter().map(|b| b.name).collect();
        assert_eq!(names, ["feature/x"]);
    }
}
