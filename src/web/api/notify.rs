//! The notification key routes: the owner makes, rotates and removes the key that signs the
//! repository's notifications (shown once, like the webhook secret, and never the same).

use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::doc::RepoPath;
use crate::{
    error::{ApiError, ErrorBody},
    mirror::notify::key,
    state::AppState,
    web::extract::{Admin, ApiRepo},
};

/// The notification key routes, under `/repos/{owner}/{repo}/mirror`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(rotate_key, remove_key))
}

/// A new notification key, shown only in this answer.
#[derive(Serialize, ToSchema)]
#[schema(as = NotifySecret)]
struct KeyMade {
    /// The key to check `X-Mirrorforge-Signature-256` with (shown only here).
    secret: String,
}

/// Makes the notification key, or rotates it (the old one stops signing).
#[utoipa::path(
    post,
    path = "/repos/{owner}/{repo}/mirror/notify_secret",
    tag = "mirror",
    description = "From now on each notification carries `X-Mirrorforge-Signature-256: \
                   sha256=<hex HMAC-SHA256(key, body)>`. The key is not the webhook secret, so \
                   a notification can never be replayed as a webhook call.",
    params(RepoPath),
    responses(
        (status = 201, description = "The key, shown only here", body = KeyMade),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn rotate_key(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<(StatusCode, Json<KeyMade>), ApiError> {
    let repo = access.repo;
    let secret = key::KEY
        .rotate(&state.db, &state.secrets, repo.repo.id)
        .await?;
    tracing::info!(repo = %repo.full_name(), "notification key made");
    Ok((StatusCode::CREATED, Json(KeyMade { secret })))
}

/// Removes the notification key: notifications go unsigned.
#[utoipa::path(
    delete,
    path = "/repos/{owner}/{repo}/mirror/notify_secret",
    tag = "mirror",
    params(RepoPath),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn remove_key(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<StatusCode, ApiError> {
    key::KEY.remove(&state.db, access.repo.repo.id).await?;
    tracing::info!(repo = %access.repo.full_name(), "notification key removed");
    Ok(StatusCode::NO_CONTENT)
}
