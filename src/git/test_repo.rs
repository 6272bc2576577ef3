//! For unit tests: commits of an empty tree made directly in a repository, and reading a ref.

use git2::{Oid, Repository};

/// Commits an empty tree with `parents` and `message`, on no ref; its id.
pub fn commit(repo: &Repository, parents: &[Oid], message: &str) -> Oid {
    let tree = repo.treebuilder(None).unwrap().write().unwrap();
    let tree = repo.find_tree(tree).unwrap();
    let signature = git2::Signature::now("T", "t@example.com").unwrap();
    let parents: Vec<git2::Commit> = parents
        .iter()
        .map(|p| repo.find_commit(*p).unwrap())
        .collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(None, &signature, &signature, message, &tree, &parents)
        .unwrap()
}

/// The id `name` points at, if it exists.
pub fn target(repo: &Repository, name: &str) -> Option<Oid> {
    repo.find_reference(name).ok().and_then(|r| r.target())
}
