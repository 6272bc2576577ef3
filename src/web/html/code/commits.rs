//! `/{owner}/{repo}/commits/{rev}`: a branch's, tag's or commit's history, newest first,
//! [`PER_PAGE`] a page (`?page=N`). `/{owner}/{repo}/commits` is the default branch's.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{CommitRow, RepoHead, Switcher, links::View};
use crate::{
    error::{Error, PageError},
    git::browse,
    state::AppState,
    web::{
        extract::{PageRepo, Read},
        html::page::Layout,
    },
};

/// The commits routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/{owner}/{repo}/commits", get(default_branch))
        .route("/{owner}/{repo}/commits/{*rest}", get(page))
}

/// Commits on one page.
pub const PER_PAGE: usize = 50;

/// The most pages one history may be paged to (a skip walks every commit before it).
const LAST_PAGE: usize = 10_000;

/// A page of history.
#[derive(Template, WebTemplate)]
#[template(path = "code/commits.html")]
struct CommitsPage {
    /// Header and navigation.
    layout: Layout,
    /// The repository's heading and tabs.
    head: RepoHead,
    /// The branch and tag switcher.
    switcher: Switcher,
    /// The commits, newest first.
    rows: Vec<CommitRow>,
    /// This page's number.
    page: usize,
    /// The newer page, after the first.
    newer: Option<String>,
    /// The older page, when there is one.
    older: Option<String>,
}

/// `?page=N`.
#[derive(Debug, Deserialize)]
struct PageQuery {
    /// 1-based page number.
    page: Option<usize>,
}

/// The default branch's history (or a 404 when there is none).
async fn default_branch(
    State(state): State<AppState>,
    access: PageRepo<Read>,
) -> Result<Response, PageError> {
    let names = browse::read(
        access.repo.repo.id,
        access.repo.path(&state.config),
        |git| Ok(browse::ref_names(git)),
    )
    .await?;
    let branch = names.default_branch.ok_or(Error::NotFound("branch"))?;
    let head = RepoHead::new(&access.repo, access.permission, "commits");
    let url = super::links::code_url(
        &head.owner,
        &head.name,
        View::Commits,
        &branch,
        &Default::default(),
    );
    Ok(Redirect::to(&url).into_response())
}

/// One page of a rev's history.
async fn page(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Read>,
    Path((_, _, rest)): Path<(String, String, String)>,
    Query(query): Query<PageQuery>,
) -> Result<Response, PageError> {
    let number = super::page_number(query.page, LAST_PAGE);
    let head = RepoHead::new(&access.repo, access.permission, "commits");
    let (rev, history, names) = browse::read(
        access.repo.repo.id,
        access.repo.path(&state.config),
        move |git| {
            let (rev, path) = browse::refs::split_rev(git, &rest)
                .ok_or(Error::NotFound("branch, tag or commit"))?;
            if !path.is_empty() {
                return Err(Error::NotFound("branch, tag or commit"));
            }
            let history =
                browse::history::page(git, &rev.commit, (number - 1) * PER_PAGE, PER_PAGE)?;
            Ok((rev, history, browse::ref_names(git)))
        },
    )
    .await?;
    if history.commits.is_empty() && number > 1 {
        return Err(Error::NotFound("page").into());
    }
    let base = super::links::code_url(
        &head.owner,
        &head.name,
        View::Commits,
        &rev.name,
        &Default::default(),
    );
    let layout = Layout::new(&state, &session, access.viewer.as_ref()).await?;
    Ok(CommitsPage {
        layout,
        switcher: Switcher::new(&head, names, &rev.name, rev.kind, View::Commits),
        rows: history
            .commits
            .into_iter()
            .map(|c| CommitRow::new(&head, c))
            .collect(),
        page: number,
        newer: (number > 1).then(|| format!("{base}?page={}", number - 1)),
        older: history.more.then(|| format!("{base}?page={}", number + 1)),
        head,
    }
    .into_response())
}
