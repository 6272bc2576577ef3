//! `/explore`: what there is to find here — the repositories the visitor may read and the
//! organisations, searched by `?q=` (part of `owner/name`, any case), 30 repositories a page.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    routing::get,
};
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::Session;

use super::{page::Layout, repo_rows::RepoRow};
use crate::{
    accounts::orgs,
    error::PageError,
    repos::listing::{self, Window},
    state::AppState,
    web::extract::WebUser,
};

/// `/explore`.
pub fn router() -> Router<AppState> {
    Router::new().route("/explore", get(page))
}

/// Repositories on one page.
const PER_PAGE: u64 = 30;

/// Organisations listed at most.
const ORGS_LISTED: u64 = 30;

/// The explore page.
#[derive(Template, WebTemplate)]
#[template(path = "explore.html")]
struct ExploreTemplate {
    /// Header and navigation.
    layout: Layout,
    /// The search typed.
    q: String,
    /// This page's repositories.
    repos: Vec<RepoRow>,
    /// How many repositories match in all.
    total: u64,
    /// Organisations whose name matches: name and description.
    orgs: Vec<(String, String)>,
    /// The newer page.
    prev: Option<String>,
    /// The next page.
    next: Option<String>,
}

/// `?q=&page=`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ExploreQuery {
    q: String,
    page: Option<u64>,
}

async fn page(
    State(state): State<AppState>,
    session: Session,
    viewer: Option<WebUser>,
    Query(query): Query<ExploreQuery>,
) -> Result<ExploreTemplate, PageError> {
    let viewer = viewer.map(|WebUser(user)| user);
    let page = query.page.unwrap_or(1).clamp(1, 10_000);
    let window = Window {
        limit: PER_PAGE,
        offset: (page - 1) * PER_PAGE,
    };
    let found =
        listing::search_readable(&state.db, &state.config, viewer.as_ref(), &query.q, window)
            .await?;
    let orgs = orgs::search(&state.db, viewer.as_ref(), &query.q, ORGS_LISTED).await?;
    let now = Utc::now();
    let link = |n: u64| {
        format!(
            "/explore?q={}&page={n}",
            url::form_urlencoded::byte_serialize(query.q.as_bytes()).collect::<String>()
        )
    };
    Ok(ExploreTemplate {
        layout: Layout::new(&state, &session, viewer.as_ref()).await?,
        repos: found
            .items
            .into_iter()
            .map(|listed| RepoRow::of(listed.repo, now))
            .collect(),
        total: found.total,
        orgs: orgs
            .into_iter()
            .map(|o| (o.username, o.description))
            .collect(),
        prev: (page > 1).then(|| link(page - 1)),
        next: (page * PER_PAGE < found.total).then(|| link(page + 1)),
        q: query.q,
    })
}
