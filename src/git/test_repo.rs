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

/// Commits a tree holding `files` (paths with `/` make directories) with `parents`; its id.
pub fn commit_files(
    repo: &Repository,
    parents: &[Oid],
    files: &[(&str, &[u8])],
    message: &str,
) -> Oid {
    let tree = write_tree(repo, files, "");
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

/// Writes the tree of the `files` under `dir` (`""` or `"a/b/"`).
fn write_tree(repo: &Repository, files: &[(&str, &[u8])], dir: &str) -> Oid {
    let mut builder = repo.treebuilder(None).unwrap();
    let mut subdirs = std::collections::BTreeSet::new();
    for (path, content) in files {
        let Some(rest) = path.strip_prefix(dir) else {
            continue;
        };
        match rest.split_once('/') {
            Some((sub, _)) => {
                subdirs.insert(sub.to_owned());
            }
            None => {
                let blob = repo.blob(content).unwrap();
                builder.insert(rest, blob, 0o100_644).unwrap();
            }
        }
    }
    for sub in subdirs {
        let tree = write_tree(repo, files, &format!("{dir}{sub}/"));
        builder.insert(&sub, tree, 0o040_000).unwrap();
    }
    builder.write().unwrap()
}

/// A new bare repository in a temporary directory (kept while the directory lives).
pub fn bare() -> (tempfile::TempDir, Repository) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    (dir, repo)
}
