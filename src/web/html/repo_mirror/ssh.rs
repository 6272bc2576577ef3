//! The settings page's SSH key: made (or replaced) by the server, its public half shown to be
//! added at the remote as a deploy key; and the host keys the mirrors pinned, forgotten on
//! request.

use axum::{Router, extract::State, response::Response, routing::post};
use tower_sessions::Session;

use super::{section::Section, settings::back_to};
use crate::{
    error::PageError,
    mirror::{host_keys, ssh_key},
    state::AppState,
    web::extract::CsrfForm,
    web::{
        extract::{Admin, PageRepo},
        html::page::CsrfOnly,
    },
};

/// The SSH key and host key routes under the mirror settings.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{owner}/{repo}/settings/mirror/ssh_key", post(replace))
        .route(
            "/{owner}/{repo}/settings/mirror/ssh_host_keys/forget",
            post(forget_host_keys),
        )
}

/// Makes a new key pair (the old key stops working) and goes back to the settings page.
async fn replace(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let repo = access.repo;
    ssh_key::replace(&state.db, &state.secrets, &repo.repo, &repo.owner.username).await?;
    tracing::info!(repo = %repo.full_name(), "SSH key made");
    back_to(
        &session,
        &repo,
        Section::Ssh,
        "New SSH key made: add its public key at the remote (the old key no longer works).",
    )
    .await
}

/// Forgets the pinned host keys (the next key each host presents is trusted) and goes back to
/// the settings page.
async fn forget_host_keys(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let repo = access.repo;
    let forgotten = host_keys::forget(&state.db, repo.repo.id).await?;
    tracing::info!(repo = %repo.full_name(), forgotten, "SSH host keys forgotten");
    back_to(&session, &repo, Section::Ssh, "SSH host keys forgotten: the next SSH connection trusts and records the key the remote presents.").await
}
