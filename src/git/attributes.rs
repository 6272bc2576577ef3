//! `.gitattributes` read from a commit's tree as git reads them at checkout, for one question:
//! which paths have `filter=lfs`, so that Git LFS's smudge filter (and so every clone) needs
//! the object their pointer names.

use std::{collections::HashMap, os::unix::ffi::OsStrExt, path::Path, rc::Rc};

use git2::{ObjectType, Oid, Repository, Tree};

use super::wildmatch::wildmatch;

/// The name of an attributes file.
pub const FILE_NAME: &[u8] = b".gitattributes";

/// A larger attributes file is ignored, as git ignores it (100 MB).
const MAX_FILE: usize = 100 * 1000 * 1000;

/// A longer line is ignored, as git ignores it.
const MAX_LINE: usize = 2048;

/// How deep one macro may name another before the rest is ignored.
const MAX_MACRO_DEPTH: usize = 8;

/// Attributes as one line (or one macro) lists them: name and state, in order.
type AttributeList = Vec<(Vec<u8>, State)>;

/// The state one line gives an attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// `name`
    Set,
    /// `-name`
    Unset,
    /// `!name`
    Unspecified,
    /// `name=value`
    Value(Vec<u8>),
}

/// One pattern line: the paths it matches and what it says of them.
#[derive(Debug)]
struct Rule {
    /// The pattern, without a leading `/`.
    pattern: Vec<u8>,
    /// Matched against the file name alone, at any depth (the pattern has no `/`).
    by_name: bool,
    /// The attributes, in the line's order.
    attributes: AttributeList,
}

/// One attributes file, parsed.
#[derive(Debug, Default)]
struct AttributesFile {
    /// Its pattern lines, in order.
    rules: Vec<Rule>,
    /// Its `[attr]` macro definitions (honoured only in the top-level file, as git does).
    macros: HashMap<Vec<u8>, AttributeList>,
}

/// Answers "is this path LFS?" for trees of one repository, parsing each attributes file once.
pub struct Attributes<'r> {
    repo: &'r Repository,
    parsed: HashMap<Oid, Rc<AttributesFile>>,
}

impl<'r> Attributes<'r> {
    /// Reads attributes from the trees of `repo`.
    #[must_use]
    pub fn new(repo: &'r Repository) -> Self {
        Self {
            repo,
            parsed: HashMap::new(),
        }
    }

    /// Whether `path` (slash-separated, from the top of `tree`) has `filter=lfs` there: the
    /// last word on `filter` of the lines matching it wins, deeper files over shallower ones.
    pub fn is_lfs(&mut self, tree: &Tree<'_>, path: &[u8]) -> bool {
        let top = self.file(tree, b"");
        let name = path.rsplit(|b| *b == b'/').next().unwrap_or(path);
        let mut filter = None;
        let mut levels = vec![0];
        levels.extend(
            path.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'/')
                .map(|(i, _)| i + 1),
        );
        for base in levels {
            let file = if base == 0 {
                top.clone()
            } else {
                self.file(tree, &path[..base])
            };
            let Some(file) = file else { continue };
            let below = &path[base..];
            for rule in &file.rules {
                let subject = if rule.by_name { name } else { below };
                if wildmatch(&rule.pattern, subject) {
                    let macros = top.as_deref().map(|t| &t.macros);
                    apply(&rule.attributes, macros, &mut filter, 0);
                }
            }
        }
        matches!(filter, Some(State::Value(v)) if v == b"lfs")
    }

    /// The attributes file of the directory `dir` (empty or ending in `/`) in `tree`, if any.
    fn file(&mut self, tree: &Tree<'_>, dir: &[u8]) -> Option<Rc<AttributesFile>> {
        let path = [dir, FILE_NAME].concat();
        let entry = tree
            .get_path(Path::new(std::ffi::OsStr::from_bytes(&path)))
            .ok()?;
        if entry.kind() != Some(ObjectType::Blob) {
            return None;
        }
        let id = entry.id();
        if let Some(file) = self.parsed.get(&id) {
            return Some(file.clone());
        }
        let odb = self.repo.odb().ok()?;
        let file = match odb.read_header(id) {
            Ok((size, _)) if size <= MAX_FILE => self
                .repo
                .find_blob(id)
                .map(|blob| parse(blob.content()))
                .unwrap_or_default(),
            _ => AttributesFile::default(),
        };
        let file = Rc::new(file);
        self.parsed.insert(id, file.clone());
        Some(file)
    }
}

/// Gives `filter` what `attributes` say of it, expanding the macros they set.
fn apply(
    attributes: &[(Vec<u8>, State)],
    macros: Option<&HashMap<Vec<u8>, AttributeList>>,
    filter: &mut Option<State>,
    depth: usize,
) {
    for (name, state) in attributes {
        if name == b"filter" {
            *filter = Some(state.clone());
        } else if *state == State::Set
            && depth < MAX_MACRO_DEPTH
            && let Some(expansion) = macros.and_then(|m| m.get(name))
        {
            apply(expansion, macros, filter, depth + 1);
        }
    }
}

/// Reads the lines of one attributes file.
fn parse(text: &[u8]) -> AttributesFile {
    let mut file = AttributesFile::default();
    for line in text.split(|b| *b == b'\n') {
        if line.len() > MAX_LINE {
            continue;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = line.trim_ascii_start();
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let Some((pattern, rest)) = pattern_of(line) else {
            continue;
        };
        let attributes = rest
            .split(u8::is_ascii_whitespace)
            .filter(|word| !word.is_empty())
            .map(attribute)
            .collect();
        if let Some(name) = pattern.strip_prefix(b"[attr]") {
            file.macros.insert(name.to_vec(), attributes);
            continue;
        }
        // Negative patterns are forbidden, and a trailing `/` names directories only.
        if pattern.starts_with(b"!") || pattern.ends_with(b"/") || pattern.is_empty() {
            continue;
        }
        let by_name = !pattern.contains(&b'/');
        let pattern = pattern.strip_prefix(b"/").unwrap_or(&pattern).to_vec();
        file.rules.push(Rule {
            pattern,
            by_name,
            attributes,
        });
    }
    file
}

/// The pattern at the start of `line` (unquoted when in double quotes, as git writes odd
/// names) and the rest of the line; `None` when a quote never closes.
fn pattern_of(line: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let Some(quoted) = line.strip_prefix(b"\"") else {
        let end = line
            .iter()
            .position(u8::is_ascii_whitespace)
            .unwrap_or(line.len());
        return Some((line[..end].to_vec(), &line[end..]));
    };
    let mut pattern = Vec::new();
    let mut i = 0;
    loop {
        match *quoted.get(i)? {
            b'"' => return Some((pattern, &quoted[i + 1..])),
            b'\\' => {
                let escaped = *quoted.get(i + 1)?;
                pattern.push(match escaped {
                    b'n' => b'\n',
                    b't' => b'\t',
                    other => other,
                });
                i += 2;
            }
            other => {
                pattern.push(other);
                i += 1;
            }
        }
    }
}

/// One attribute word: `name`, `-name`, `!name` or `name=value`.
fn attribute(word: &[u8]) -> (Vec<u8>, State) {
    if let Some(name) = word.strip_prefix(b"-") {
        (name.to_vec(), State::Unset)
    } else if let Some(name) = word.strip_prefix(b"!") {
        (name.to_vec(), State::Unspecified)
    } else if let Some(eq) = word.iter().position(|b| *b == b'=') {
        (word[..eq].to_vec(), State::Value(word[eq + 1..].to_vec()))
    } else {
        (word.to_vec(), State::Set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository with one commit of `files` (path → content); its tree.
    fn tree_of(dir: &Path, files: &[(&str, &str)]) -> (Repository, Oid) {
        let repo = Repository::init_bare(dir).unwrap();
        let mut index = git2::Index::new().unwrap();
        for (path, content) in files {
            let blob = repo.blob(content.as_bytes()).unwrap();
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100_644,
                uid: 0,
                gid: 0,
                file_size: 0,
                id: blob,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            index.add(&entry).unwrap();
        }
        let tree = index.write_tree_to(&repo).unwrap();
        (repo, tree)
    }

    fn lfs_paths(files: &[(&str, &str)], paths: &[&str]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let (repo, tree) = tree_of(dir.path(), files);
        let tree = repo.find_tree(tree).unwrap();
        let mut attributes = Attributes::new(&repo);
        paths
            .iter()
            .filter(|p| attributes.is_lfs(&tree, p.as_bytes()))
            .map(|p| (*p).to_owned())
            .collect()
    }

    #[test]
    fn the_patterns_git_lfs_track_writes_mark_their_paths() {
        let files = [(
            ".gitattributes",
            "*.bin filter=lfs diff=lfs merge=lfs -text\n/assets/** filter=lfs\ndocs/*.pdf filter=lfs\n",
        )];
        assert_eq!(
            lfs_paths(
                &files,
                &[
                    "a.bin",
                    "deep/er/a.bin",
                    "a.txt",
                    "assets/x/y.png",
                    "docs/a.pdf",
                    "docs/sub/a.pdf",
                    "other/assets/z"
                ]
            ),
            ["a.bin", "deep/er/a.bin", "assets/x/y.png", "docs/a.pdf"]
        );
    }

    #[test]
    fn later_lines_and_deeper_files_have_the_last_word() {
        let files = [
            (".gitattributes", "*.bin filter=lfs\nold.bin -filter\n"),
            ("keep/.gitattributes", "*.bin !filter\n"),
            ("keep/lfs/.gitattributes", "big.bin filter=lfs\n"),
            ("other/.gitattributes", "*.bin filter=crypt\n"),
        ];
        assert_eq!(
            lfs_paths(
                &files,
                &[
                    "a.bin",
                    "old.bin",
                    "keep/a.bin",
                    "keep/lfs/big.bin",
                    "keep/lfs/small.bin",
                    "other/a.bin"
                ]
            ),
            ["a.bin", "keep/lfs/big.bin"]
        );
    }

    #[test]
    fn macros_from_the_top_file_expand_and_odd_lines_are_ignored() {
        let files = [
            (
                ".gitattributes",
                "[attr]lfs filter=lfs diff=lfs merge=lfs -text\n# *.txt filter=lfs\n\n  *.psd lfs\r\n\"with space.bin\" filter=lfs\n!neg.bin filter=lfs\ndir/ filter=lfs\n\"open.bin filter=lfs\n",
            ),
            ("sub/.gitattributes", "[attr]mine filter=lfs\n*.dat mine\n"),
        ];
        assert_eq!(
            lfs_paths(
                &files,
                &[
                    "a.psd",
                    "a.txt",
                    "with space.bin",
                    "neg.bin",
                    "dir/x",
                    "open.bin",
                    "sub/a.dat"
                ]
            ),
            ["a.psd", "with space.bin"]
        );
    }

    #[test]
    fn without_attributes_nothing_is_lfs() {
        assert!(lfs_paths(&[("a.bin", "x")], &["a.bin"]).is_empty());
    }
}
