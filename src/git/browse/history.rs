//! A page of a ref's history, newest first, as the commits page lists it.

use git2::{Oid, Repository};

use super::{CommitSummary, summarize};
use crate::error::{Error, Result};

/// One page of history.
#[derive(Debug, Clone)]
pub struct Page {
    /// The commits on it, newest first.
    pub commits: Vec<CommitSummary>,
    /// Whether older commits follow.
    pub more: bool,
}

/// The `limit` commits reachable from `from` after skipping the `skip` newest.
///
/// # Errors
/// `from` is not a commit, or the history cannot be walked.
pub fn page(repo: &Repository, from: &str, skip: usize, limit: usize) -> Result<Page> {
    let from = Oid::from_str(from).map_err(Error::internal)?;
    let mut walk = repo.revwalk().map_err(Error::internal)?;
    walk.push(from).map_err(Error::internal)?;
    // Newest first, and a parent never before its child (commits of the same second).
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)
        .map_err(Error::internal)?;
    let mut commits = Vec::with_capacity(limit);
    let mut more = false;
    for oid in walk.skip(skip) {
        let oid = oid.map_err(Error::internal)?;
        if commits.len() == limit {
            more = true;
            break;
        }
        let commit = repo.find_commit(oid).map_err(Error::internal)?;
        commits.push(summarize(&commit));
    }
    Ok(Page { commits, more })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::test_repo;

    #[test]
    fn pages_follow_each_other_without_gaps() {
        let (_dir, git) = test_repo::bare();
        let mut parents = Vec::new();
        for n in 0..5 {
            let id = test_repo::commit(&git, &parents, &format!("c{n}"));
            parents = vec![id];
        }
        let tip = parents[0].to_string();
        let first = page(&git, &tip, 0, 2).unwrap();
        let names: Vec<&str> = first.commits.iter().map(|c| c.summary.as_str()).collect();
        assert_eq!((names, first.more), (vec!["c4", "c3"], true));
        let last = page(&git, &tip, 4, 2).unwrap();
        assert_eq!((last.commits.len(), last.more), (1, false));
    }
}
