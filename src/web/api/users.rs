//! `/users/:username`: another user as anyone may see them — their repositories.

use axum::{
    extract::{OriginalUri, Path, State},
    response::Response,
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::listing::{self, ListedRepoJson, ListingQuery};
use crate::{
    accounts::users,
    error::{ApiError, Error, ErrorBody},
    repos::listing::owned_readable,
    state::AppState,
    web::extract::{ApiQuery, ApiUser, BaseUrl},
};

/// Routes under `/users`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(user_repos))
}

/// `{username}` of the routes under `/users`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct UserPath {
    /// The user's username (any case).
    username: String,
}

/// A user's repositories the caller may read (public ones for anyone, anonymous callers
/// included; private ones too for the user and site admins), oldest first, as Gitea lists them.
#[utoipa::path(
    get,
    path = "/users/{username}/repos",
    tag = "user",
    params(UserPath, ListingQuery),
    security((), ("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "One page of the repositories", body = Vec<ListedRepoJson>,
         headers(
             ("X-Total-Count" = u64, description = "How many the caller may read in all pages"),
             ("Link" = String, description = "The other pages, as Gitea writes them: `rel=\"next\"`, `\"last\"`, `\"first\"`, `\"prev\"`"),
         )),
        (status = 400, description = "`limit` or `page` out of range", body = ErrorBody),
        (status = 401, description = "Invalid credentials", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
async fn user_repos(
    State(state): State<AppState>,
    viewer: Option<ApiUser>,
    Path(path): Path<UserPath>,
    ApiQuery(query): ApiQuery<ListingQuery>,
    BaseUrl(base): BaseUrl,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let window = query.window()?;
    let owner = users::find_by_name(&state.db, &path.username)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let viewer = viewer.map(|ApiUser(u)| u);
    let page = owned_readable(&state.db, &state.config, &owner, viewer.as_ref(), window).await?;
    Ok(listing::respond(&page, window, &uri, &base))
}
