//! `/{owner}/{repo}/commit/{sha}`: one commit — message, author, parents — and its changes
//! against its first parent: the files changed with lines added and removed, and the
//! unified diff, cut to the page's limits with a note saying so.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::Utc;
use tower_sessions::Session;

use super::{
    RepoHead,
    links::{View, code_url},
};
use crate::{
    error::{Error, PageError},
    git::browse::{
        self,
        diff::{Change, CommitView, FILES_WITH_DIFF, FileChange, LineKind, Note},
        path::TreePath,
    },
    state::AppState,
    web::{
        extract::{PageRepo, Read},
        html::page::{Layout, TimeView},
    },
};

/// The commit route.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/{owner}/{repo}/commit/{sha}", get(page))
}

/// One changed file, ready for the page.
#[derive(Debug, Clone)]
struct FileRow {
    /// Its anchor on the page (`diff-3`).
    anchor: String,
    /// The change as git read it.
    change: FileChange,
    /// Its page at this commit (none for a deletion).
    url: Option<String>,
}

impl FileRow {
    /// What happened to it, in a word.
    fn change_word(&self) -> &'static str {
        match self.change.change {
            Change::Added => "added",
            Change::Deleted => "deleted",
            Change::Modified => "modified",
            Change::Renamed => "renamed",
            Change::TypeChanged => "type changed",
        }
    }

    /// Why its patch is left out or cut, in words.
    fn note_words(&self) -> Option<&'static str> {
        self.change.note.map(|note| match note {
            Note::Binary => "Binary file, or too large to show: not shown.",
            Note::LinesCut => "This diff is cut: it has more lines than the page shows.",
            Note::NotShown => "Not shown: this commit changes more than the page shows.",
        })
    }
}

/// A commit's page.
#[derive(Template, WebTemplate)]
#[template(path = "code/commit.html")]
struct CommitPage {
    /// Header and navigation.
    layout: Layout,
    /// The repository's heading and tabs.
    head: RepoHead,
    /// The commit.
    view: CommitView,
    /// The message's first line.
    title: String,
    /// The rest of the message.
    body: String,
    /// Author time.
    time: TimeView,
    /// Each parent's short id and page.
    parents: Vec<(String, String)>,
    /// The tree at this commit.
    tree_url: String,
    /// The changed files.
    files: Vec<FileRow>,
    /// How many files get their diff shown at most.
    files_with_diff: usize,
}

impl CommitPage {
    /// The CSS class of a diff line.
    fn line_class(kind: &LineKind) -> &'static str {
        match kind {
            LineKind::Added => "add",
            LineKind::Removed => "del",
            LineKind::Context => "ctx",
        }
    }

    /// The sign a diff line starts with.
    fn line_sign(kind: &LineKind) -> &'static str {
        match kind {
            LineKind::Added => "+",
            LineKind::Removed => "-",
            LineKind::Context => " ",
        }
    }
}

/// The commit page (404 for an id that names no commit here).
async fn page(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Read>,
    Path((_, _, sha)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let head = RepoHead::new(&access.repo, access.permission, "commits");
    let view = browse::read(
        access.repo.repo.id,
        access.repo.path(&state.config),
        move |git| {
            let id = browse::refs::find_commit_id(git, &sha).ok_or(Error::NotFound("commit"))?;
            browse::diff::commit(git, id)
        },
    )
    .await?;
    let (title, body) = match view.message.split_once('\n') {
        Some((title, body)) => (title.to_owned(), body.trim().to_owned()),
        None => (view.message.trim().to_owned(), String::new()),
    };
    let files = view
        .files
        .iter()
        .enumerate()
        .map(|(index, change)| FileRow {
            anchor: format!("diff-{}", index + 1),
            url: (change.change != Change::Deleted).then(|| {
                let path = TreePath::parse(&change.path).unwrap_or_default();
                code_url(&head.owner, &head.name, View::Blob, &view.id, &path)
            }),
            change: change.clone(),
        })
        .collect();
    let layout = Layout::new(&state, &session, access.viewer.as_ref()).await?;
    Ok(CommitPage {
        layout,
        title,
        body,
        time: TimeView::new(view.time, Utc::now()),
        parents: view
            .parents
            .iter()
            .map(|p| {
                let url = format!("/{}/{}/commit/{p}", head.owner, head.name);
                (p.chars().take(7).collect(), url)
            })
            .collect(),
        tree_url: code_url(
            &head.owner,
            &head.name,
            View::Tree,
            &view.id,
            &TreePath::default(),
        ),
        files,
        files_with_diff: FILES_WITH_DIFF,
        view,
        head,
    }
    .into_response())
}
