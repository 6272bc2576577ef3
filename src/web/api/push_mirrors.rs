//! `/repos/{owner}/{repo}/push_mirrors`: a repository's push targets, listed, added, changed
//! and removed by its owner or an administrator.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    super::extract::{Admin, ApiJson, ApiRepo},
    doc::RepoPath,
};
use crate::{
    error::{ApiError, Error, ErrorBody},
    mirror::push_mirrors::{
        self,
        change::{PushMirrorInput, PushMirrorView},
    },
    state::AppState,
};

/// The push mirror routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(change, remove))
}

/// The path of one push mirror.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct PushMirrorPath {
    /// The owner's username.
    #[allow(dead_code)] // Read by the `ApiRepo` extractor.
    owner: String,
    /// The repository's name.
    #[allow(dead_code)] // Read by the `ApiRepo` extractor.
    repo: String,
    /// The push mirror's id.
    #[param(value_type = i64)]
    id: String,
}

impl PushMirrorPath {
    /// The `{id}` of the route; an id that is not a number names no push mirror.
    fn id(&self) -> Result<i64, ApiError> {
        self.id
            .parse()
            .map_err(|_| ApiError(Error::NotFound("push mirror")))
    }
}

/// The repository's push mirrors, oldest first.
#[utoipa::path(
    get,
    path = "/repos/{owner}/{repo}/push_mirrors",
    tag = "push_mirrors",
    params(RepoPath),
    responses(
        (status = 200, description = "Push mirrors, oldest first", body = Vec<PushMirrorView>),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<Json<Vec<PushMirrorView>>, ApiError> {
    let mirrors = push_mirrors::list(&state.db, access.repo.repo.id).await?;
    Ok(Json(mirrors.iter().map(PushMirrorView::from).collect()))
}

/// Adds a push mirror (at most 10 per repository).
#[utoipa::path(
    post,
    path = "/repos/{owner}/{repo}/push_mirrors",
    tag = "push_mirrors",
    params(RepoPath),
    request_body = PushMirrorInput,
    responses(
        (status = 201, description = "The push mirror", body = PushMirrorView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
        (status = 422, description = "Validation failed (or already 10); `fields` names each bad field", body = ErrorBody),
    )
)]
async fn add(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
    ApiJson(input): ApiJson<PushMirrorInput>,
) -> Result<(StatusCode, Json<PushMirrorView>), ApiError> {
    let added = push_mirrors::change::add(
        &state.db,
        &state.config,
        &state.secrets,
        &access.repo.repo,
        input,
    )
    .await?;
    tracing::info!(
        repo_id = access.repo.repo.id,
        push_mirror_id = added.id,
        "push mirror added"
    );
    Ok((StatusCode::CREATED, Json(PushMirrorView::from(&added))))
}

/// Changes a push mirror: a field left out keeps its value, `""` clears a text one.
#[utoipa::path(
    patch,
    path = "/repos/{owner}/{repo}/push_mirrors/{id}",
    tag = "push_mirrors",
    params(PushMirrorPath),
    request_body = PushMirrorInput,
    responses(
        (status = 200, description = "The push mirror after the change", body = PushMirrorView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository or push mirror, or a private one the caller may not see", body = ErrorBody),
        (status = 422, description = "Validation failed; `fields` names each bad field", body = ErrorBody),
    )
)]
async fn change(
    State(state): State<AppState>,
    Path(path): Path<PushMirrorPath>,
    access: ApiRepo<Admin>,
    ApiJson(input): ApiJson<PushMirrorInput>,
) -> Result<Json<PushMirrorView>, ApiError> {
    let id = path.id()?;
    let changed = push_mirrors::change::change(
        &state.db,
        &state.config,
        &state.secrets,
        &access.repo.repo,
        id,
        input,
    )
    .await?;
    Ok(Json(PushMirrorView::from(&changed)))
}

/// Removes a push mirror.
#[utoipa::path(
    delete,
    path = "/repos/{owner}/{repo}/push_mirrors/{id}",
    tag = "push_mirrors",
    params(PushMirrorPath),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository or push mirror, or a private one the caller may not see", body = ErrorBody),
        (status = 409, description = "The last one, while the repository pushes", body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    Path(path): Path<PushMirrorPath>,
    access: ApiRepo<Admin>,
) -> Result<StatusCode, ApiError> {
    let id = path.id()?;
    push_mirrors::change::remove(&state.db, &access.repo.repo, id).await?;
    tracing::info!(
        repo_id = access.repo.repo.id,
        push_mirror_id = id,
        "push mirror removed"
    );
    Ok(StatusCode::NO_CONTENT)
}
