//! `/repos/{owner}/{repo}/push_mirrors`: a repository's push targets, listed, added, changed
//! and removed by its owner or an administrator.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, patch},
};
use std::collections::HashMap;

use super::super::extract::{Admin, ApiJson, ApiRepo};
use crate::{
    error::{ApiError, Error},
    mirror::push_mirrors::{
        self,
        change::{PushMirrorInput, PushMirrorView},
    },
    state::AppState,
};

/// The push mirror routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/repos/{owner}/{repo}/push_mirrors", get(list).post(add))
        .route(
            "/repos/{owner}/{repo}/push_mirrors/{id}",
            patch(change).delete(remove),
        )
}

/// The `{id}` of the route; an id that is not a number names no push mirror.
fn id_of(params: &HashMap<String, String>) -> Result<i64, ApiError> {
    params
        .get("id")
        .and_then(|id| id.parse().ok())
        .ok_or(ApiError(Error::NotFound("push mirror")))
}

async fn list(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<Json<Vec<PushMirrorView>>, ApiError> {
    let mirrors = push_mirrors::list(&state.db, access.repo.repo.id).await?;
    Ok(Json(mirrors.iter().map(PushMirrorView::from).collect()))
}

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

async fn change(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    access: ApiRepo<Admin>,
    ApiJson(input): ApiJson<PushMirrorInput>,
) -> Result<Json<PushMirrorView>, ApiError> {
    let id = id_of(&params)?;
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

async fn remove(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    access: ApiRepo<Admin>,
) -> Result<StatusCode, ApiError> {
    let id = id_of(&params)?;
    push_mirrors::change::remove(&state.db, &access.repo.repo, id).await?;
    tracing::info!(
        repo_id = access.repo.repo.id,
        push_mirror_id = id,
        "push mirror removed"
    );
    Ok(StatusCode::NO_CONTENT)
}
