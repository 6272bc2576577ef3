//! Git LFS pointers in the history a transfer brings or carries: the small blobs
//! (`version https://git-lfs.github.com/spec/v1`, `oid sha256:…`, `size N`) that stand for
//! large files kept outside git. Found by walking the commits reachable from some tips and not
//! from others, and reading every blob each commit adds or changes that is small enough to be a
//! pointer, and keeping those whose path has `filter=lfs` in the commit's `.gitattributes`.

use std::{collections::BTreeMap, ffi::OsStr, os::unix::ffi::OsStrExt, path::Path};

use git2::{Delta, DiffOptions, ObjectType, Oid, Repository, Sort, Tree};

use crate::git::attributes::{self, Attributes};

/// The largest blob read as a possible pointer (the spec says pointers are under 1024 bytes).
const MAX_POINTER: usize = 1024;

/// The first line of every pointer.
const VERSION: &str = "version https://git-lfs.github.com/spec/v1";

/// The LFS object a pointer names: its oid (64 hex digits) and size.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pointer {
    /// The object's SHA-256, in lower-case hex.
    pub oid: String,
    /// The object's size in bytes.
    pub size: u64,
}

/// Reads `blob` as a pointer; `None` when it is not one.
#[must_use]
pub fn parse(blob: &[u8]) -> Option<Pointer> {
    if blob.len() >= MAX_POINTER {
        return None;
    }
    let text = std::str::from_utf8(blob).ok()?;
    let mut lines = text.lines();
    if lines.next()? != VERSION {
        return None;
    }
    let (mut oid, mut size) = (None, None);
    for line in lines {
        if let Some(value) = line.strip_prefix("oid sha256:") {
            oid = Some(value);
        } else if let Some(value) = line.strip_prefix("size ") {
            size = value.parse::<u64>().ok();
        }
    }
    let oid = oid.filter(|o| o.len() == 64 && o.bytes().all(|b| b.is_ascii_hexdigit()))?;
    Some(Pointer {
        oid: oid.to_ascii_lowercase(),
        size: size?,
    })
}

/// Every pointer that Git LFS takes care of (its path has `filter=lfs` in the commit's
/// `.gitattributes`) in the trees of the commits reachable from `tips` and not from `known`
/// (objects missing here are skipped: `known` may name what only the remote has). A
/// pointer-like file without the attribute is left alone, as a checkout leaves it.
///
/// # Errors
/// The repository cannot be read.
pub fn introduced(
    repo: &Repository,
    tips: &[Oid],
    known: &[Oid],
) -> Result<BTreeMap<String, u64>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::NONE)?;
    let commit_of = |oid: Oid| {
        repo.find_object(oid, None)
            .ok()
            .and_then(|o| o.peel(ObjectType::Commit).ok())
            .map(|c| c.id())
    };
    let mut any = false;
    for tip in tips.iter().filter_map(|t| commit_of(*t)) {
        walk.push(tip)?;
        any = true;
    }
    if !any {
        return Ok(BTreeMap::new());
    }
    for old in known.iter().filter_map(|k| commit_of(*k)) {
        walk.hide(old)?;
    }
    let mut reader = PointerReader {
        repo,
        odb: repo.odb()?,
        attributes: Attributes::new(repo),
        found: BTreeMap::new(),
    };
    let mut options = DiffOptions::new();
    options.skip_binary_check(true);
    for commit in walk {
        let commit = repo.find_commit(commit?)?;
        let tree = commit.tree()?;
        let parent_tree = match commit.parents().next() {
            Some(parent) => Some(parent.tree()?),
            None => None,
        };
        let diff = repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut options))?;
        let mut attributes_changed = false;
        for delta in diff.deltas() {
            attributes_changed |= [delta.old_file(), delta.new_file()]
                .iter()
                .any(|f| f.path_bytes().is_some_and(is_attributes_file));
            if !matches!(
                delta.status(),
                Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
            ) {
                continue;
            }
            if let Some(path) = delta.new_file().path_bytes() {
                reader.read(&tree, path, delta.new_file().id());
            }
        }
        // A changed `.gitattributes` may make LFS of files this commit did not touch.
        if attributes_changed && let Some(parent_tree) = &parent_tree {
            reader.read_all(&tree, parent_tree)?;
        }
    }
    Ok(reader.found)
}

/// Whether `path` names an attributes file.
fn is_attributes_file(path: &[u8]) -> bool {
    path.rsplit(|b| *b == b'/').next() == Some(attributes::FILE_NAME)
}

/// Reads the blobs of trees as pointers, keeping those Git LFS takes care of.
struct PointerReader<'r> {
    repo: &'r Repository,
    odb: git2::Odb<'r>,
    attributes: Attributes<'r>,
    /// oid → size of every pointer kept so far.
    found: BTreeMap<String, u64>,
}

impl PointerReader<'_> {
    /// Keeps the blob `id` at `path` of `tree` when it is a pointer with `filter=lfs`.
    fn read(&mut self, tree: &Tree<'_>, path: &[u8], id: Oid) {
        // The size from the object's header: a large blob is never read whole.
        match self.odb.read_header(id) {
            Ok((size, ObjectType::Blob)) if size < MAX_POINTER => {}
            _ => return,
        }
        let Ok(blob) = self.repo.find_blob(id) else {
            return;
        };
        if let Some(pointer) = parse(blob.content())
            && !self.found.contains_key(&pointer.oid)
            && self.attributes.is_lfs(tree, path)
        {
            self.found.insert(pointer.oid, pointer.size);
        }
    }

    /// Whether `parent` had the blob `id` at `path` already, with `filter=lfs`.
    fn was_lfs(&mut self, parent: &Tree<'_>, path: &[u8], id: Oid) -> bool {
        parent
            .get_path(Path::new(OsStr::from_bytes(path)))
            .is_ok_and(|entry| entry.id() == id)
            && self.attributes.is_lfs(parent, path)
    }

    /// Reads every blob of `tree`, at any depth, but those that were LFS already in `parent`.
    fn read_all(&mut self, tree: &Tree<'_>, parent: &Tree<'_>) -> Result<(), git2::Error> {
        let mut pending = vec![(Vec::new(), tree.id())];
        while let Some((dir, id)) = pending.pop() {
            let subtree = self.repo.find_tree(id)?;
            for entry in &subtree {
                let path = [dir.as_slice(), entry.name_bytes()].concat();
                match entry.kind() {
                    Some(ObjectType::Tree) => {
                        pending.push(([path, b"/".to_vec()].concat(), entry.id()))
                    }
                    Some(ObjectType::Blob) if !self.was_lfs(parent, &path, entry.id()) => {
                        self.read(tree, &path, entry.id());
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OID: &str = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";

    #[test]
    fn a_pointer_reads_and_anything_else_does_not() {
        let text = format!("{VERSION}\noid sha256:{OID}\nsize 12345\n");
        assert_eq!(
            parse(text.as_bytes()),
            Some(Pointer {
                oid: OID.to_owned(),
                size: 12345
            })
        );
        assert_eq!(parse(b"hello"), None);
        assert_eq!(parse(format!("{VERSION}\nsize 1\n").as_bytes()), None);
        assert_eq!(
            parse(format!("{VERSION}\noid sha256:abc\nsize 1\n").as_bytes()),
            None
        );
        assert_eq!(
            parse(format!("{VERSION}\noid sha256:{OID}\n").as_bytes()),
            None
        );
    }

    /// An empty repository in a temporary directory.
    fn history() -> (tempfile::TempDir, Repository) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        (dir, repo)
    }

    /// Commits `files` (flat names) on top of `parent`.
    fn commit(repo: &Repository, files: &[(&str, String)], parent: Option<Oid>) -> Oid {
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let mut builder = repo.treebuilder(None).unwrap();
        for (name, content) in files {
            let blob = repo.blob(content.as_bytes()).unwrap();
            builder.insert(name, blob, 0o100_644).unwrap();
        }
        let tree = repo.find_tree(builder.write().unwrap()).unwrap();
        let parents: Vec<git2::Commit> = parent
            .map(|p| repo.find_commit(p).unwrap())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        repo.commit(None, &sig, &sig, "c", &tree, &parents).unwrap()
    }

    fn pointer(n: u64) -> String {
        format!("{VERSION}\noid sha256:{}{n:02}\nsize {n}\n", &OID[..62])
    }

    fn tracking(pattern: &str) -> (&'static str, String) {
        (
            ".gitattributes",
            format!("{pattern} filter=lfs diff=lfs merge=lfs -text\n"),
        )
    }

    #[test]
    fn only_the_new_commits_pointers_are_found() {
        let (_dir, repo) = history();
        let first = commit(
            &repo,
            &[
                tracking("*.bin"),
                ("a.bin", pointer(1)),
                ("r.txt", "text".into()),
            ],
            None,
        );
        let second = commit(
            &repo,
            &[
                tracking("*.bin"),
                ("a.bin", pointer(1)),
                ("b.bin", pointer(2)),
                ("r.txt", "t2".into()),
            ],
            Some(first),
        );
        let all = introduced(&repo, &[second], &[]).unwrap();
        assert_eq!(all.len(), 2);
        let new = introduced(&repo, &[second], &[first]).unwrap();
        assert_eq!(new.values().collect::<Vec<_>>(), [&2]);
        let unknown = Oid::from_str(&"1".repeat(40)).unwrap();
        assert_eq!(introduced(&repo, &[second], &[unknown]).unwrap().len(), 2);
    }

    #[test]
    fn a_pointer_outside_the_lfs_paths_is_left_alone_until_they_take_it_in() {
        let (_dir, repo) = history();
        // A pointer-like text that git-lfs does not take care of (as git-lfs's own test
        // fixtures are): a checkout leaves it as it is, so no object is wanted.
        let first = commit(
            &repo,
            &[
                tracking("*.bin"),
                ("a.bin", pointer(1)),
                ("fixture.txt", pointer(2)),
            ],
            None,
        );
        assert_eq!(
            introduced(&repo, &[first], &[])
                .unwrap()
                .values()
                .collect::<Vec<_>>(),
            [&1]
        );
        // Then `.gitattributes` takes `*.txt` in, and the unchanged file becomes LFS.
        let second = commit(
            &repo,
            &[
                (
                    ".gitattributes",
                    "*.bin filter=lfs\n*.txt filter=lfs\n".to_owned(),
                ),
                ("a.bin", pointer(1)),
                ("fixture.txt", pointer(2)),
            ],
            Some(first),
        );
        assert_eq!(
            introduced(&repo, &[second], &[first])
                .unwrap()
                .values()
                .collect::<Vec<_>>(),
            [&2]
        );
    }

    #[test]
    fn without_gitattributes_no_pointer_is_lfs() {
        let (_dir, repo) = history();
        let only = commit(&repo, &[("a.bin", pointer(1))], None);
        assert!(introduced(&repo, &[only], &[]).unwrap().is_empty());
    }
}
