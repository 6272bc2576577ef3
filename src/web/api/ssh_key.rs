//! The repository's SSH key for its mirrors: the owner makes (or replaces) it and reads its
//! public half; the private half never leaves the server. Beside it, the host keys its mirrors
//! pinned, which the owner may forget.

use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::doc::RepoPath;
use crate::{
    error::{ApiError, Error, ErrorBody},
    mirror::{host_keys, ssh_key},
    state::AppState,
    web::extract::{Admin, ApiRepo},
};

/// The SSH key and host key routes, under `/repos/{owner}/{repo}/mirror`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(make_key, show_key))
        .routes(routes!(forget_host_keys))
}

/// The public key to add at the remote as a deploy key.
#[derive(Serialize, ToSchema)]
struct PublicKey {
    /// `ssh-ed25519 AAAA… mirrorforge:owner/repo`.
    public_key: String,
}

/// Makes the repository's SSH key pair, replacing any (the old key stops working).
#[utoipa::path(
    post,
    path = "/repos/{owner}/{repo}/mirror/ssh_key",
    tag = "mirror",
    params(RepoPath),
    responses(
        (status = 201, description = "The new public key", body = PublicKey),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn make_key(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<(StatusCode, Json<PublicKey>), ApiError> {
    let repo = access.repo;
    let public_key =
        ssh_key::replace(&state.db, &state.secrets, &repo.repo, &repo.owner.username).await?;
    tracing::info!(repo = %repo.full_name(), "SSH key made");
    Ok((StatusCode::CREATED, Json(PublicKey { public_key })))
}

/// The repository's public SSH key.
#[utoipa::path(
    get,
    path = "/repos/{owner}/{repo}/mirror/ssh_key",
    tag = "mirror",
    params(RepoPath),
    responses(
        (status = 200, description = "The public key", body = PublicKey),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or it has no SSH key yet", body = ErrorBody),
    )
)]
async fn show_key(access: ApiRepo<Admin>) -> Result<Json<PublicKey>, ApiError> {
    let public_key = access
        .repo
        .repo
        .ssh_public_key
        .ok_or(Error::NotFound("SSH key"))?;
    Ok(Json(PublicKey { public_key }))
}

/// Forgets the SSH host keys the mirrors pinned: the next key each host presents is trusted
/// (and pinned) again.
#[utoipa::path(
    delete,
    path = "/repos/{owner}/{repo}/mirror/ssh_host_keys",
    tag = "mirror",
    params(RepoPath),
    responses(
        (status = 204, description = "Forgotten (also when none were pinned)"),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn forget_host_keys(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<StatusCode, ApiError> {
    let repo = access.repo;
    let forgotten = host_keys::forget(&state.db, repo.repo.id).await?;
    tracing::info!(repo = %repo.full_name(), forgotten, "SSH host keys forgotten");
    Ok(StatusCode::NO_CONTENT)
}
