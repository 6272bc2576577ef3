//! Shallow pulls: the depth libgit2 is asked for, and whether the history here is shorter
//! than the setting asks (so a sync deepens it even when the refs match). libgit2 writes the
//! repository's `shallow` file itself (the boundary commits, one id a line; removed when
//! none is left) once the pack is in.

use std::{
    collections::{HashSet, VecDeque},
    path::Path,
};

use git2::{Oid, Repository};

/// The depth `git fetch --unshallow` asks for: the whole history behind the boundary.
const UNSHALLOW: i32 = i32::MAX;

/// The boundary commits of the repository at `repo_path` (its `shallow` file; none when the
/// repository has its full history).
#[must_use]
pub fn roots(repo_path: &Path) -> HashSet<Oid> {
    std::fs::read_to_string(repo_path.join("shallow"))
        .map(|text| {
            text.lines()
                .filter_map(|line| Oid::from_str(line.trim()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The depth to fetch with for the setting `depth` (`0`: full history): the setting itself,
/// or, for the full history in a shallow repository, everything behind its boundary.
#[must_use]
pub fn fetch_depth(depth: i32, shallow_here: bool) -> i32 {
    match depth {
        0 if shallow_here => UNSHALLOW,
        depth => depth.max(0),
    }
}

/// Whether the history of `tips` here ends at a boundary commit closer than `depth` commits
/// (any boundary at all for `0`, the full history): then the next fetch deepens it.
#[must_use]
pub fn needs_deepening(repo: &Repository, roots: &HashSet<Oid>, tips: &[Oid], depth: i32) -> bool {
    if roots.is_empty() {
        return false;
    }
    if depth <= 0 {
        return true;
    }
    // Breadth first, so each commit is met at its shortest distance from a tip (the tip is
    // commit 1 of `depth`); parents are read as libgit2 sees them, cut at the boundary.
    let limit = usize::try_from(depth).unwrap_or(usize::MAX);
    let mut seen = HashSet::new();
    let mut queue: VecDeque<(Oid, usize)> = tips
        .iter()
        .filter_map(|tip| repo.find_object(*tip, None).ok())
        .filter_map(|object| object.peel_to_commit().ok())
        .map(|commit| (commit.id(), 1))
        .collect();
    while let Some((id, nth)) = queue.pop_front() {
        if !seen.insert(id) {
            continue;
        }
        if roots.contains(&id) && nth < limit {
            return true;
        }
        if nth >= limit {
            continue;
        }
        if let Ok(commit) = repo.find_commit(id) {
            queue.extend(commit.parent_ids().map(|parent| (parent, nth + 1)));
        }
    }
    false
}

/// Whether `new` contains `old`. libgit2's answer when it is yes; in a shallow repository a
/// no (or no answer: history behind the boundary is missing) is checked again by walking the
/// commits that are here by the parents written in them (libgit2 cuts them at the boundary),
/// so a pull of a few commits on top of a shallow tip is a fast-forward, not a rewrite. When
/// the walk meets commits that were not fetched before it finds `old`, `new` counts as not
/// containing it.
#[must_use]
pub fn descends(repo: &Repository, new: Oid, old: Oid) -> bool {
    match repo.graph_descendant_of(new, old) {
        Ok(true) => true,
        _ if repo.is_shallow() => written_ancestry_reaches(repo, new, old),
        _ => false,
    }
}

/// Walks from `new` by the `parent` lines of the commits here until `old` is met.
fn written_ancestry_reaches(repo: &Repository, new: Oid, old: Oid) -> bool {
    let Ok(odb) = repo.odb() else {
        return false;
    };
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([new]);
    while let Some(id) = queue.pop_front() {
        if id == old {
            return true;
        }
        if !seen.insert(id) {
            continue;
        }
        let Ok(object) = odb.read(id) else {
            continue;
        };
        if object.kind() != git2::ObjectType::Commit {
            continue;
        }
        queue.extend(written_parents(object.data()));
    }
    false
}

/// The `parent` lines of a commit's header.
fn written_parents(data: &[u8]) -> impl Iterator<Item = Oid> + '_ {
    data.split(|b| *b == b'\n')
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.strip_prefix(b"parent "))
        .filter_map(|hex| std::str::from_utf8(hex).ok())
        .filter_map(|hex| Oid::from_str(hex.trim()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_history_of_a_shallow_repository_is_an_unshallow() {
        assert_eq!(fetch_depth(0, false), 0);
        assert_eq!(fetch_depth(0, true), i32::MAX);
        assert_eq!(fetch_depth(5, true), 5);
        assert_eq!(fetch_depth(5, false), 5);
    }

    #[test]
    fn parents_are_read_from_the_header_only() {
        let a = "1111111111111111111111111111111111111111";
        let b = "2222222222222222222222222222222222222222";
        let commit = format!(
            "tree 3333333333333333333333333333333333333333\nparent {a}\nparent {b}\n\
             author A <a@e> 1 +0000\n\nparent 4444444444444444444444444444444444444444\n"
        );
        let parents: Vec<String> = written_parents(commit.as_bytes())
            .map(|p| p.to_string())
            .collect();
        assert_eq!(parents, [a, b]);
    }
}
