//! The code pages, at GitHub's paths: a directory ([`tree`]) with its README
//! ([`markdown`]), a file ([`blob`]), its bytes ([`raw`]), a ref's history ([`commits`]), one
//! commit with its diff ([`commit`]), and the branches and tags ([`refs`]). Each reads the
//! repository through `git::browse` in a blocking thread, behind `PageRepo<Read>`; what they
//! share — the repository's heading and tabs, the branch and tag switcher, the path's
//! breadcrumbs — is here.

pub mod blob;
pub mod commit;
pub mod commits;
pub mod links;
pub mod listing;
pub mod markdown;
pub mod raw;
pub mod refs;
pub mod tree;

use axum::{
    Router,
    response::{IntoResponse, Redirect, Response},
};
use chrono::Utc;

use self::links::{View, code_url};
use crate::{
    git::browse::{CommitSummary, Location, RefNames, path::TreePath, refs::RevKind},
    repos::{Permission, Repo},
    state::AppState,
    web::html::page::TimeView,
};

/// The code routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(tree::router())
        .merge(blob::router())
        .merge(raw::router())
        .merge(commits::router())
        .merge(commit::router())
        .merge(refs::router())
}

/// The repository's heading and tabs, on every code page.
#[derive(Debug, Clone)]
pub struct RepoHead {
    /// Owner's name.
    pub owner: String,
    /// Repository name.
    pub name: String,
    /// Hidden from everyone but those it is shared with.
    pub private: bool,
    /// Whether the viewer manages it (and sees its settings tabs).
    pub can_admin: bool,
    /// The tab this page belongs to: `code`, `commits`, `branches` or `tags`.
    pub here: &'static str,
}

impl RepoHead {
    /// The heading of `repo` for a viewer who may do `may`, on the tab `here`.
    #[must_use]
    pub fn new(repo: &Repo, may: Permission, here: &'static str) -> Self {
        Self {
            owner: repo.owner.username.clone(),
            name: repo.repo.name.clone(),
            private: repo.repo.is_private,
            can_admin: may == Permission::Admin,
            here,
        }
    }
}

/// The branch and tag switcher: the rev shown and where each name leads.
#[derive(Debug, Clone)]
pub struct Switcher {
    /// The rev shown, as the URL named it (a commit id shortened).
    pub current: String,
    /// Whether it is a branch, a tag or a commit.
    pub kind: RevKind,
    /// Branches: name and URL.
    pub branches: Vec<(String, String)>,
    /// How many branches there are (more than listed, when many).
    pub branch_count: usize,
    /// Tags: name and URL.
    pub tags: Vec<(String, String)>,
    /// How many tags there are.
    pub tag_count: usize,
    /// The branches page.
    pub branches_url: String,
    /// The tags page.
    pub tags_url: String,
}

impl Switcher {
    /// The switcher of `head`'s repository showing `rev` (`kind`); each name leads to `view`
    /// of its root.
    #[must_use]
    pub fn new(head: &RepoHead, names: RefNames, rev: &str, kind: RevKind, view: View) -> Self {
        let url = |name: &str| code_url(&head.owner, &head.name, view, name, &TreePath::default());
        Self {
            current: if kind == RevKind::Commit {
                rev.chars().take(7).collect()
            } else {
                rev.to_owned()
            },
            kind,
            branches: names.branches.iter().map(|b| (b.clone(), url(b))).collect(),
            branch_count: names.branch_count,
            tags: names.tags.iter().map(|t| (t.clone(), url(t))).collect(),
            tag_count: names.tag_count,
            branches_url: format!("/{}/{}/branches", head.owner, head.name),
            tags_url: format!("/{}/{}/tags", head.owner, head.name),
        }
    }

    /// What the switcher's button calls the rev's kind.
    #[must_use]
    pub fn kind_word(&self) -> &'static str {
        match self.kind {
            RevKind::Branch => "Branch",
            RevKind::Tag => "Tag",
            RevKind::Commit => "Commit",
        }
    }
}

/// One step of the path shown above a directory or file.
#[derive(Debug, Clone)]
pub struct Crumb {
    /// The segment's name (the repository's name for the root).
    pub name: String,
    /// Its directory page.
    pub url: String,
}

/// The breadcrumbs of `path` at `rev`: the root, then each directory above the last segment.
#[must_use]
pub fn crumbs(head: &RepoHead, rev: &str, path: &TreePath) -> Vec<Crumb> {
    let mut crumbs = vec![Crumb {
        name: head.name.clone(),
        url: code_url(
            &head.owner,
            &head.name,
            View::Tree,
            rev,
            &TreePath::default(),
        ),
    }];
    let mut walked = TreePath::default();
    let segments = path.segments();
    for segment in segments.iter().take(segments.len().saturating_sub(1)) {
        walked = walked.join(segment);
        crumbs.push(Crumb {
            name: segment.clone(),
            url: code_url(&head.owner, &head.name, View::Tree, rev, &walked),
        });
    }
    crumbs
}

/// What stands above a directory or a file (`code/partials/bar.html`): the switcher, the
/// path's breadcrumbs and its own name, and the rev's latest commit with its history.
#[derive(Debug, Clone)]
pub struct Bar {
    /// The branch and tag switcher.
    pub switcher: Switcher,
    /// The directories above the path.
    pub crumbs: Vec<Crumb>,
    /// The path's own name (empty at the root).
    pub here: String,
    /// The latest commit of the rev.
    pub latest: Option<CommitRow>,
    /// The rev's history.
    pub commits_url: String,
}

impl Bar {
    /// The bar of `location` in `head`'s repository, with the rev's `names` and `latest`
    /// commit.
    #[must_use]
    pub fn new(
        head: &RepoHead,
        names: RefNames,
        location: &Location,
        latest: Option<CommitSummary>,
    ) -> Self {
        let rev = &location.rev;
        Self {
            switcher: Switcher::new(head, names, &rev.name, rev.kind, View::Tree),
            crumbs: crumbs(head, &rev.name, &location.path),
            here: location.path.name().to_owned(),
            latest: latest.map(|c| CommitRow::new(head, c)),
            commits_url: code_url(
                &head.owner,
                &head.name,
                View::Commits,
                &rev.name,
                &TreePath::default(),
            ),
        }
    }
}

/// A redirect to `view` of `location`: a tree URL that names a file, or a blob URL that
/// names a directory.
#[must_use]
pub fn redirect_to(head: &RepoHead, view: View, location: &Location) -> Response {
    let url = code_url(
        &head.owner,
        &head.name,
        view,
        &location.rev.name,
        &location.path,
    );
    Redirect::to(&url).into_response()
}

/// A commit in a list: its page, id, first line, author and time.
#[derive(Debug, Clone)]
pub struct CommitRow {
    /// Full id, as a tooltip.
    pub id: String,
    /// Seven-character id.
    pub short_id: String,
    /// First line of the message.
    pub summary: String,
    /// Author name.
    pub author: String,
    /// Author time.
    pub time: TimeView,
    /// The commit's page.
    pub url: String,
}

impl CommitRow {
    /// `commit` of `head`'s repository, its time as seen now.
    #[must_use]
    pub fn new(head: &RepoHead, commit: CommitSummary) -> Self {
        Self {
            url: format!("/{}/{}/commit/{}", head.owner, head.name, commit.id),
            time: TimeView::new(commit.time, Utc::now()),
            id: commit.id,
            short_id: commit.short_id,
            summary: commit.summary,
            author: commit.author,
        }
    }
}

/// A page number from `?page=` (1 when absent or nonsense, at most `last`).
#[must_use]
pub fn page_number(asked: Option<usize>, last: usize) -> usize {
    asked.unwrap_or(1).clamp(1, last.max(1))
}
