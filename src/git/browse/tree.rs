//! A directory of a commit's tree as the tree page lists it, with the README found in it.

use git2::{ObjectType, Oid, Repository};

use super::path::TreePath;
use crate::error::{Error, Result};

/// What a path names in a commit's tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A directory (the root too).
    Dir(Oid),
    /// A file (or a symbolic link, whose content is its target).
    File(Oid),
    /// A submodule: a commit of another repository.
    Submodule(Oid),
}

/// What `path` names in the tree of `commit`, or `None` when nothing is there.
///
/// # Errors
/// The commit or a tree on the way cannot be read.
pub fn find(repo: &Repository, commit: &str, path: &TreePath) -> Result<Option<Found>> {
    let commit = Oid::from_str(commit).map_err(Error::internal)?;
    let mut tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(Error::internal)?;
    let mut found = Found::Dir(tree.id());
    for (depth, segment) in path.segments().iter().enumerate() {
        found = match tree.get_name(segment).map(|e| (e.kind(), e.id())) {
            Some((Some(ObjectType::Tree), id)) => Found::Dir(id),
            Some((Some(ObjectType::Blob), id)) => Found::File(id),
            Some((Some(ObjectType::Commit), id)) => Found::Submodule(id),
            _ => return Ok(None),
        };
        let last = depth + 1 == path.segments().len();
        match found {
            Found::Dir(id) if !last => tree = repo.find_tree(id).map_err(Error::internal)?,
            _ if !last => return Ok(None),
            _ => {}
        }
    }
    Ok(Some(found))
}

/// What kind of thing a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// A directory.
    Dir,
    /// A submodule.
    Submodule,
    /// A file.
    File,
    /// A symbolic link.
    Symlink,
}

/// One entry of a directory.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its name (lossy where the stored name is not UTF-8).
    pub name: String,
    /// What it is.
    pub kind: EntryKind,
    /// A file's size in bytes.
    pub size: Option<u64>,
}

/// How many entries of one directory a page lists.
pub const ENTRIES_LISTED: usize = 1_000;

/// A README found in a directory.
#[derive(Debug, Clone)]
pub struct Readme {
    /// Its file name.
    pub name: String,
    /// Its blob's id.
    pub id: String,
    /// Its text (lossy UTF-8), at most [`README_LIMIT`] bytes of it.
    pub text: String,
    /// Whether the name says Markdown (`.md`, `.markdown`, …): else it is shown as text.
    pub markdown: bool,
    /// Whether the text was cut at [`README_LIMIT`].
    pub cut: bool,
}

/// The most of a README a page renders.
pub const README_LIMIT: usize = 512 * 1024;

/// A directory's listing.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Directories first, then files, each by name; at most [`ENTRIES_LISTED`].
    pub entries: Vec<Entry>,
    /// How many entries the directory holds.
    pub total: usize,
    /// Its README, if it has one.
    pub readme: Option<Readme>,
    /// Whether its `.gitattributes` names Git LFS (`filter=lfs`).
    pub uses_lfs: bool,
}

/// Lists the directory `tree`.
///
/// # Errors
/// The tree cannot be read.
pub fn list(repo: &Repository, tree: Oid) -> Result<Listing> {
    let tree = repo.find_tree(tree).map_err(Error::internal)?;
    let odb = repo.odb().map_err(Error::internal)?;
    let mut entries: Vec<Entry> = Vec::with_capacity(tree.len().min(ENTRIES_LISTED));
    let mut readme_candidates = Vec::new();
    let mut uses_lfs = false;
    for entry in &tree {
        let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
        let kind = match (entry.kind(), entry.filemode()) {
            (Some(ObjectType::Tree), _) => EntryKind::Dir,
            (Some(ObjectType::Commit), _) => EntryKind::Submodule,
            (Some(ObjectType::Blob), 0o120_000) => EntryKind::Symlink,
            (Some(ObjectType::Blob), _) => EntryKind::File,
            _ => continue,
        };
        if kind == EntryKind::File
            && name == ".gitattributes"
            && let Ok(blob) = repo.find_blob(entry.id())
        {
            uses_lfs = blob.content().windows(10).any(|w| w == b"filter=lfs");
        }
        if kind == EntryKind::File
            && let Some(rank) = readme_rank(&name)
        {
            readme_candidates.push((rank, name.clone(), entry.id()));
        }
        entries.push(Entry {
            size: (kind == EntryKind::File)
                .then(|| {
                    odb.read_header(entry.id())
                        .ok()
                        .map(|(size, _)| size as u64)
                })
                .flatten(),
            name,
            kind,
        });
    }
    let total = entries.len();
    entries.sort_by(|a, b| {
        let dir = |e: &Entry| e.kind != EntryKind::Dir;
        dir(a).cmp(&dir(b)).then_with(|| a.name.cmp(&b.name))
    });
    entries.truncate(ENTRIES_LISTED);
    readme_candidates.sort();
    let readme = match readme_candidates.into_iter().next() {
        Some((_, name, id)) => Some(read_readme(repo, name, id)?),
        None => None,
    };
    Ok(Listing {
        entries,
        total,
        readme,
        uses_lfs,
    })
}

/// How much a file name looks like the directory's README (lower is better), or `None`.
fn readme_rank(name: &str) -> Option<u8> {
    let lower = name.to_ascii_lowercase();
    let (stem, extension) = lower.split_once('.').unwrap_or((&lower, ""));
    if stem != "readme" {
        return None;
    }
    match extension {
        "md" => Some(0),
        "markdown" | "mdown" | "mkd" => Some(1),
        "" => Some(2),
        "txt" => Some(3),
        _ => Some(4),
    }
}

/// Reads the README blob `id` named `name`, at most [`README_LIMIT`] bytes.
fn read_readme(repo: &Repository, name: String, id: Oid) -> Result<Readme> {
    let (size, _) = repo
        .odb()
        .and_then(|odb| odb.read_header(id))
        .map_err(Error::internal)?;
    // A README far larger than the page renders is not read at all.
    if size > README_LIMIT * 4 {
        return Ok(Readme {
            markdown: is_markdown(&name),
            name,
            id: id.to_string(),
            text: String::new(),
            cut: true,
        });
    }
    let blob = repo.find_blob(id).map_err(Error::internal)?;
    let bytes = blob.content();
    let cut = bytes.len() > README_LIMIT;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(README_LIMIT)]).into_owned();
    Ok(Readme {
        markdown: is_markdown(&name),
        name,
        id: id.to_string(),
        text,
        cut,
    })
}

/// Whether a file name says Markdown.
#[must_use]
pub fn is_markdown(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".md", ".markdown", ".mdown", ".mkd"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::test_repo;

    #[test]
    fn directories_come_first_and_the_markdown_readme_is_read() {
        let (_dir, git) = test_repo::bare();
        let commit = test_repo::commit_files(
            &git,
            &[],
            &[
                ("b.txt", b"bee"),
                ("README.md", b"# Hello"),
                ("readme.txt", b"plain"),
                ("src/main.rs", b"fn main() {}"),
            ],
            "one",
        )
        .to_string();
        let Some(Found::Dir(root)) = find(&git, &commit, &TreePath::default()).unwrap() else {
            panic!("no root");
        };
        let listing = list(&git, root).unwrap();
        let names: Vec<&str> = listing.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["src", "README.md", "b.txt", "readme.txt"]);
        assert_eq!(listing.entries[2].size, Some(3));
        let readme = listing.readme.unwrap();
        assert_eq!(
            (readme.name.as_str(), readme.text.as_str()),
            ("README.md", "# Hello")
        );
        assert!(readme.markdown);
        let file = TreePath::parse("src/main.rs").unwrap();
        assert!(matches!(
            find(&git, &commit, &file).unwrap(),
            Some(Found::File(_))
        ));
        let under_file = TreePath::parse("b.txt/x").unwrap();
        assert_eq!(find(&git, &commit, &under_file).unwrap(), None);
        let missing = TreePath::parse("nope").unwrap();
        assert_eq!(find(&git, &commit, &missing).unwrap(), None);
    }
}
