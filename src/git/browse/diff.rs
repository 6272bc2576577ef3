//! One commit as its page shows it: message, parents, and what it changed against its first
//! parent, cut to the page's limits. Only the first [`FILES_WITH_DIFF`] files' patches are
//! made (each blob read at most [`BLOB_LIMIT`]); past [`FILES_LISTED`] files are only counted,
//! so a commit touching 10,000 files is read no further than the page shows.

use chrono::{DateTime, Utc};
use git2::{Delta, DiffOptions, Oid, Repository};

use crate::error::{Error, Result};

/// How many changed files a commit page names.
pub const FILES_LISTED: usize = 1_000;
/// How many of them get their patch shown.
pub const FILES_WITH_DIFF: usize = 300;
/// The most diff lines one file shows.
pub const LINES_PER_FILE: usize = 3_000;
/// The most diff lines one page shows.
pub const LINES_PER_PAGE: usize = 20_000;
/// A blob larger than this is treated as binary (its patch is not made).
pub const BLOB_LIMIT: i64 = 1024 * 1024;
/// Above this many changed files, renames are not looked for.
const RENAMES_UP_TO: usize = 1_000;

/// A commit with its changes.
#[derive(Debug, Clone)]
pub struct CommitView {
    /// Full id.
    pub id: String,
    /// The whole message.
    pub message: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub author_email: String,
    /// Author time.
    pub time: DateTime<Utc>,
    /// Committer name, when not the author.
    pub committer: Option<String>,
    /// Parent ids, first parent first.
    pub parents: Vec<String>,
    /// Changed files, at most [`FILES_LISTED`].
    pub files: Vec<FileChange>,
    /// How many files it changed in all.
    pub files_total: usize,
    /// Lines added in the files shown.
    pub additions: usize,
    /// Lines removed in the files shown.
    pub deletions: usize,
}

impl CommitView {
    /// Whether some files' patches are left out.
    #[must_use]
    pub fn cut(&self) -> bool {
        self.files_total > self.files.len() || self.files.iter().any(|f| f.note.is_some())
    }
}

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Added.
    Added,
    /// Removed.
    Deleted,
    /// Changed in place.
    Modified,
    /// Moved (perhaps changed too).
    Renamed,
    /// Its type changed (a file became a link, …).
    TypeChanged,
}

/// Why a file's patch is not shown (or not whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// Binary, or larger than [`BLOB_LIMIT`].
    Binary,
    /// Its patch stops at [`LINES_PER_FILE`] lines (or the page's limit).
    LinesCut,
    /// Past [`FILES_WITH_DIFF`] files or the page's line limit: named only.
    NotShown,
}

/// One changed file.
#[derive(Debug, Clone)]
pub struct FileChange {
    /// Its path after the change (before, for a deletion).
    pub path: String,
    /// Its path before, when renamed.
    pub old_path: Option<String>,
    /// How it changed.
    pub change: Change,
    /// Lines added (of the shown patch).
    pub additions: usize,
    /// Lines removed (of the shown patch).
    pub deletions: usize,
    /// The patch's hunks, as far as shown.
    pub hunks: Vec<Hunk>,
    /// Why the patch is left out or cut.
    pub note: Option<Note>,
}

/// One hunk of a patch.
#[derive(Debug, Clone)]
pub struct Hunk {
    /// Its `@@ -a,b +c,d @@` line.
    pub header: String,
    /// Its lines.
    pub lines: Vec<Line>,
}

/// What a diff line does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Unchanged, for context.
    Context,
    /// Added.
    Added,
    /// Removed.
    Removed,
}

/// One line of a hunk.
#[derive(Debug, Clone)]
pub struct Line {
    /// What it does.
    pub kind: LineKind,
    /// Its number before, unless added.
    pub old: Option<u32>,
    /// Its number after, unless removed.
    pub new: Option<u32>,
    /// Its text, without the line end (lossy UTF-8).
    pub text: String,
}

/// Reads the commit `id` and its changes against its first parent (an empty tree for a root
/// commit), within the page's limits.
///
/// # Errors
/// The commit or its trees cannot be read, or the diff fails.
pub fn commit(repo: &Repository, id: Oid) -> Result<CommitView> {
    let commit = repo.find_commit(id).map_err(Error::internal)?;
    let tree = commit.tree().map_err(Error::internal)?;
    let parent_tree = match commit.parent(0) {
        Ok(parent) => Some(parent.tree().map_err(Error::internal)?),
        Err(_) => None,
    };
    let mut options = DiffOptions::new();
    options.max_size(BLOB_LIMIT).context_lines(3);
    let mut diff = repo
        .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut options))
        .map_err(Error::internal)?;
    let files_total = diff.deltas().len();
    if files_total <= RENAMES_UP_TO {
        diff.find_similar(None).map_err(Error::internal)?;
    }
    let files_total = diff.deltas().len();
    let mut files = Vec::with_capacity(files_total.min(FILES_LISTED));
    let mut lines_left = LINES_PER_PAGE;
    for (index, delta) in diff.deltas().enumerate().take(FILES_LISTED) {
        let mut file = describe(&delta);
        if index < FILES_WITH_DIFF && lines_left > 0 {
            read_patch(&diff, index, &mut file, &mut lines_left)?;
        } else {
            file.note = Some(Note::NotShown);
        }
        files.push(file);
    }
    let author = commit.author();
    let committer = commit.committer();
    Ok(CommitView {
        id: id.to_string(),
        message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
        author: author.name().unwrap_or("").to_owned(),
        author_email: author.email().unwrap_or("").to_owned(),
        time: DateTime::from_timestamp(author.when().seconds(), 0).unwrap_or_default(),
        committer: (committer.name_bytes() != author.name_bytes())
            .then(|| committer.name().unwrap_or("").to_owned()),
        parents: commit.parent_ids().map(|p| p.to_string()).collect(),
        additions: files.iter().map(|f| f.additions).sum(),
        deletions: files.iter().map(|f| f.deletions).sum(),
        files,
        files_total,
    })
}

/// A delta's paths and kind of change, without its patch.
fn describe(delta: &git2::DiffDelta<'_>) -> FileChange {
    let path_of = |file: git2::DiffFile<'_>| {
        file.path_bytes()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default()
    };
    let (old, new) = (path_of(delta.old_file()), path_of(delta.new_file()));
    let change = match delta.status() {
        Delta::Added | Delta::Copied | Delta::Untracked => Change::Added,
        Delta::Deleted => Change::Deleted,
        Delta::Renamed => Change::Renamed,
        Delta::Typechange => Change::TypeChanged,
        _ => Change::Modified,
    };
    FileChange {
        path: if change == Change::Deleted {
            old.clone()
        } else {
            new.clone()
        },
        old_path: (change == Change::Renamed && old != new).then_some(old),
        change,
        additions: 0,
        deletions: 0,
        hunks: Vec::new(),
        note: None,
    }
}

/// Makes the patch of delta `index` into `file`, spending at most `lines_left` lines.
fn read_patch(
    diff: &git2::Diff<'_>,
    index: usize,
    file: &mut FileChange,
    lines_left: &mut usize,
) -> Result<()> {
    let Some(patch) = git2::Patch::from_diff(diff, index).map_err(Error::internal)? else {
        file.note = Some(Note::Binary);
        return Ok(());
    };
    if patch.delta().flags().is_binary() {
        file.note = Some(Note::Binary);
        return Ok(());
    }
    let mut budget = LINES_PER_FILE.min(*lines_left);
    for hunk_index in 0..patch.num_hunks() {
        let (hunk, count) = patch.hunk(hunk_index).map_err(Error::internal)?;
        let mut lines = Vec::with_capacity(count.min(budget));
        for line_index in 0..count {
            let line = patch
                .line_in_hunk(hunk_index, line_index)
                .map_err(Error::internal)?;
            let kind = match line.origin() {
                '+' => LineKind::Added,
                '-' => LineKind::Removed,
                ' ' => LineKind::Context,
                _ => continue,
            };
            match kind {
                LineKind::Added => file.additions += 1,
                LineKind::Removed => file.deletions += 1,
                LineKind::Context => {}
            }
            if budget == 0 {
                file.note = Some(Note::LinesCut);
                continue;
            }
            budget -= 1;
            *lines_left -= 1;
            let text = String::from_utf8_lossy(line.content());
            lines.push(Line {
                kind,
                old: line.old_lineno(),
                new: line.new_lineno(),
                text: text.trim_end_matches(['\n', '\r']).to_owned(),
            });
        }
        file.hunks.push(Hunk {
            header: String::from_utf8_lossy(hunk.header()).trim_end().to_owned(),
            lines,
        });
    }
    file.hunks.retain(|h| !h.lines.is_empty());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::test_repo;

    #[test]
    fn a_change_shows_its_lines_with_numbers() {
        let (_dir, git) = test_repo::bare();
        let first = test_repo::commit_files(&git, &[], &[("a.txt", b"one\ntwo\n")], "first");
        let second = test_repo::commit_files(
            &git,
            &[first],
            &[("a.txt", b"one\n2\n"), ("b.bin", b"\0\0")],
            "second",
        );
        let view = commit(&git, second).unwrap();
        assert_eq!(view.parents, [first.to_string()]);
        assert_eq!(
            (view.files_total, view.additions, view.deletions),
            (2, 1, 1)
        );
        let a = &view.files[0];
        assert_eq!((a.path.as_str(), a.change), ("a.txt", Change::Modified));
        let kinds: Vec<(LineKind, Option<u32>, Option<u32>, &str)> = a.hunks[0]
            .lines
            .iter()
            .map(|l| (l.kind, l.old, l.new, l.text.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (LineKind::Context, Some(1), Some(1), "one"),
                (LineKind::Removed, Some(2), None, "two"),
                (LineKind::Added, None, Some(2), "2"),
            ]
        );
        assert_eq!(view.files[1].note, Some(Note::Binary));
        let root = commit(&git, first).unwrap();
        assert_eq!((root.files[0].change, root.additions), (Change::Added, 2));
    }

    #[test]
    fn a_huge_commit_is_named_past_the_limits_and_counted_past_the_list() {
        let (_dir, git) = test_repo::bare();
        let names: Vec<String> = (0..FILES_LISTED + 50).map(|n| format!("f{n:05}")).collect();
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x\n"[..])).collect();
        let id = test_repo::commit_files(&git, &[], &files, "many");
        let view = commit(&git, id).unwrap();
        assert_eq!(
            (view.files_total, view.files.len()),
            (FILES_LISTED + 50, FILES_LISTED)
        );
        assert!(view.files[FILES_WITH_DIFF - 1].note.is_none());
        assert_eq!(view.files[FILES_WITH_DIFF].note, Some(Note::NotShown));
        assert!(view.cut());
    }
}
