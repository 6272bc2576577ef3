//! Git LFS pointers in the history a transfer brings or carries: the small blobs
//! (`version https://git-lfs.github.com/spec/v1`, `oid sha256:…`, `size N`) that stand for
//! large files kept outside git. Found by walking the commits reachable from some tips and not
//! from others, and reading every blob each commit adds or changes that is small enough to be a
//! pointer.

use std::collections::BTreeMap;

use git2::{Delta, DiffOptions, ObjectType, Oid, Repository, Sort};

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

/// Every pointer in the trees of the commits reachable from `tips` and not from `known`
/// (objects missing here are skipped: `known` may name what only the remote has).
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
    let odb = repo.odb()?;
    let mut found = BTreeMap::new();
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
        for delta in diff.deltas() {
            if !matches!(
                delta.status(),
                Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
            ) {
                continue;
            }
            // The size from the object's header: a large blob is never read whole.
            let id = delta.new_file().id();
            match odb.read_header(id) {
                Ok((size, ObjectType::Blob)) if size < MAX_POINTER => {}
                _ => continue,
            }
            let Ok(blob) = repo.find_blob(id) else {
                continue;
            };
            if let Some(pointer) = parse(blob.content()) {
                found.insert(pointer.oid, pointer.size);
            }
        }
    }
    Ok(found)
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

    #[test]
    fn only_the_new_commits_pointers_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let commit = |files: &[(&str, String)], parent: Option<Oid>| {
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
        };
        let pointer = |n: u64| format!("{VERSION}\noid sha256:{}{n:02}\nsize {n}\n", &OID[..62]);
        let first = commit(&[("a.bin", pointer(1)), ("r.txt", "text".into())], None);
        let second = commit(
            &[
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
}
