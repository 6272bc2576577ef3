//! `/{owner}/{repo}/branches` (the default first, then the most recently committed to) and
//! `/{owner}/{repo}/tags` (newest first, [`TAGS_PER_PAGE`] a page).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    CommitRow, RepoHead,
    links::{View, code_url},
};
use crate::{
    error::{Error, PageError},
    git::browse,
    state::AppState,
    web::{
        extract::{PageRepo, Read},
        html::page::{Layout, TimeView},
    },
};

/// The branches and tags routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/{owner}/{repo}/branches", get(branches))
        .route("/{owner}/{repo}/tags", get(tags))
}

/// Tags on one page.
pub const TAGS_PER_PAGE: usize = 30;

/// A branch as its page lists it.
struct BranchRow {
    /// Its name.
    name: String,
    /// Its files.
    url: String,
    /// Its history.
    commits_url: String,
    /// Its latest commit.
    head: CommitRow,
    /// Whether HEAD points at it.
    is_default: bool,
}

/// The branches page.
#[derive(Template, WebTemplate)]
#[template(path = "code/branches.html")]
struct BranchesPage {
    /// Header and navigation.
    layout: Layout,
    /// The repository's heading and tabs.
    head: RepoHead,
    /// Every branch.
    rows: Vec<BranchRow>,
}

/// Every branch.
async fn branches(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Read>,
) -> Result<Response, PageError> {
    let head = RepoHead::new(&access.repo, access.permission, "branches");
    let found = browse::read(
        access.repo.repo.id,
        access.repo.path(&state.config),
        |git| {
            let names = browse::ref_names(git);
            Ok(browse::refs::branches(git, names.default_branch.as_deref()))
        },
    )
    .await?;
    let layout = Layout::new(&state, &session, access.viewer.as_ref()).await?;
    let rows = found
        .into_iter()
        .map(|branch| BranchRow {
            url: code_url(
                &head.owner,
                &head.name,
                View::Tree,
                &branch.name,
                &Default::default(),
            ),
            commits_url: code_url(
                &head.owner,
                &head.name,
                View::Commits,
                &branch.name,
                &Default::default(),
            ),
            head: CommitRow::new(&head, branch.head),
            is_default: branch.is_default,
            name: branch.name,
        })
        .collect();
    Ok(BranchesPage { layout, head, rows }.into_response())
}

/// A tag as its page lists it.
struct TagRow {
    /// Its name.
    name: String,
    /// Its files.
    url: String,
    /// When it was made.
    time: TimeView,
    /// An annotated tag's first line.
    message: Option<String>,
    /// The commit it leads to.
    commit: CommitRow,
}

/// The tags page.
#[derive(Template, WebTemplate)]
#[template(path = "code/tags.html")]
struct TagsPage {
    /// Header and navigation.
    layout: Layout,
    /// The repository's heading and tabs.
    head: RepoHead,
    /// This page's tags, newest first.
    rows: Vec<TagRow>,
    /// How many tags there are.
    total: usize,
    /// This page's number.
    page: usize,
    /// How many pages there are.
    pages: usize,
    /// The newer page.
    newer: Option<String>,
    /// The older page.
    older: Option<String>,
}

/// `?page=N`.
#[derive(Debug, Deserialize)]
struct PageQuery {
    /// 1-based page number.
    page: Option<usize>,
}

/// A page of tags, newest first.
async fn tags(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Read>,
    Query(query): Query<PageQuery>,
) -> Result<Response, PageError> {
    let head = RepoHead::new(&access.repo, access.permission, "tags");
    let all = browse::read(
        access.repo.repo.id,
        access.repo.path(&state.config),
        |git| Ok(browse::refs::tags(git)),
    )
    .await?;
    let total = all.len();
    let pages = total.div_ceil(TAGS_PER_PAGE).max(1);
    if query.page.is_some_and(|p| p == 0 || p > pages) {
        return Err(Error::NotFound("page").into());
    }
    let number = super::page_number(query.page, pages);
    let now = Utc::now();
    let rows = all
        .into_iter()
        .skip((number - 1) * TAGS_PER_PAGE)
        .take(TAGS_PER_PAGE)
        .map(|tag| TagRow {
            url: code_url(
                &head.owner,
                &head.name,
                View::Tree,
                &tag.name,
                &Default::default(),
            ),
            time: TimeView::new(tag.time, now),
            message: tag.message,
            commit: CommitRow::new(&head, tag.commit),
            name: tag.name,
        })
        .collect();
    let base = format!("/{}/{}/tags", head.owner, head.name);
    let layout = Layout::new(&state, &session, access.viewer.as_ref()).await?;
    Ok(TagsPage {
        layout,
        rows,
        total,
        page: number,
        pages,
        newer: (number > 1).then(|| format!("{base}?page={}", number - 1)),
        older: (number < pages).then(|| format!("{base}?page={}", number + 1)),
        head,
    }
    .into_response())
}
