//! `/users/:username`: another user (or an organisation) as anyone may see them, and their
//! repositories.

use axum::{
    Json,
    extract::{Path, State},
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    paging::{GiteaPaging, ListUrl, Paged},
    repos::RepoJson,
    user::UserJson,
};
use crate::{
    accounts::{orgs, users},
    entities::user,
    error::{ApiError, Error, ErrorBody},
    repos::listing::owned_readable,
    state::AppState,
    web::extract::{ApiQuery, ApiUser},
};

/// Routes under `/users`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show_user))
        .routes(routes!(user_repos))
}

/// `{username}` of the routes under `/users`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct UserPath {
    /// The user's username (any case).
    username: String,
}

/// The user (or organisation) named `name` as `viewer` may know it, or 404: a private
/// organisation is its members' (and site admins') only.
async fn find_visible(
    state: &AppState,
    name: &str,
    viewer: Option<&user::Model>,
) -> Result<user::Model, Error> {
    let found = users::find_by_name(&state.db, name)
        .await?
        .ok_or(Error::NotFound("user"))?;
    if orgs::is_visible_to(&state.db, &found, viewer).await? {
        Ok(found)
    } else {
        Err(Error::NotFound("user"))
    }
}

/// A user (or an organisation), as Gitea answers it; the email address only for the user
/// themselves and site admins.
#[utoipa::path(
    get,
    path = "/users/{username}",
    tag = "user",
    params(UserPath),
    security((), ("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The user", body = UserJson),
        (status = 401, description = "Invalid credentials", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
async fn show_user(
    State(state): State<AppState>,
    viewer: Option<ApiUser>,
    Path(path): Path<UserPath>,
) -> Result<Json<UserJson>, ApiError> {
    let viewer = viewer.map(|ApiUser(u)| u);
    let found = find_visible(&state, &path.username, viewer.as_ref()).await?;
    Ok(Json(UserJson::seen_by(&found, viewer.as_ref())))
}

/// A user's repositories the caller may read (public ones for anyone, anonymous callers
/// included; private ones too for the user and site admins), oldest first, as Gitea lists them.
#[utoipa::path(
    get,
    path = "/users/{username}/repos",
    tag = "user",
    params(UserPath, GiteaPaging),
    security((), ("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "One page of the repositories", body = Vec<RepoJson>),
        (status = 400, description = "`limit` or `page` out of range", body = ErrorBody),
        (status = 401, description = "Invalid credentials", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
async fn user_repos(
    State(state): State<AppState>,
    viewer: Option<ApiUser>,
    Path(path): Path<UserPath>,
    ApiQuery(query): ApiQuery<GiteaPaging>,
    url: ListUrl,
) -> Result<Paged<RepoJson>, ApiError> {
    let window = query.window()?;
    let viewer = viewer.map(|ApiUser(u)| u);
    let owner = find_visible(&state, &path.username, viewer.as_ref()).await?;
    let page = owned_readable(&state.db, &state.config, &owner, viewer.as_ref(), window).await?;
    Ok(RepoJson::paged(page, window, url))
}
