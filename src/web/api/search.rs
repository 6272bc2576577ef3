//! `/repos/search`: the repositories the caller may read whose `owner/name` contains a text.

use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    paging::{GiteaPaging, ListUrl, Paged},
    repos::RepoJson,
};
use crate::{
    error::{ApiError, ErrorBody},
    repos::listing::search_readable,
    state::AppState,
    web::extract::{ApiQuery, ApiUser},
};

/// The search route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

/// `?q=&limit=&page=` of the search.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// Text that `owner/name` contains, ignoring case (empty or absent: every repository).
    q: Option<String>,
    /// Items per page, 1–50 (default 30).
    limit: Option<u64>,
    /// Page number, from 1.
    page: Option<u64>,
}

/// The repositories the caller may read (public ones for anyone, anonymous callers included;
/// their own and their organisations' private ones; every one for a site admin) whose
/// `owner/name` contains `q`, ignoring case; oldest first, in the listing shape.
#[utoipa::path(
    get,
    path = "/repos/search",
    tag = "repos",
    params(SearchQuery),
    security((), ("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "One page of the repositories found", body = Vec<RepoJson>),
        (status = 400, description = "`limit` or `page` out of range", body = ErrorBody),
        (status = 401, description = "Invalid credentials", body = ErrorBody),
    )
)]
async fn search(
    State(state): State<AppState>,
    viewer: Option<ApiUser>,
    ApiQuery(query): ApiQuery<SearchQuery>,
    url: ListUrl,
) -> Result<Paged<RepoJson>, ApiError> {
    let window = GiteaPaging {
        limit: query.limit,
        page: query.page,
    }
    .window()?;
    let viewer = viewer.map(|ApiUser(u)| u);
    let text = query.q.unwrap_or_default();
    let page = search_readable(&state.db, &state.config, viewer.as_ref(), &text, window).await?;
    Ok(RepoJson::paged(page, window, url))
}
