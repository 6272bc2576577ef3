//! The events section's buttons: the webhook secret (made or rotated, shown once with how to
//! enter it at each forge; removed) and the notification key (the same, for what this server
//! sends).

use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::post,
};
use tower_sessions::Session;

use super::{
    section::Section,
    settings::{Sent, SettingsPage, back_to},
};
use crate::{
    entities::user,
    error::{Error, PageError},
    mirror::{notify::key, repo_secret::RepoSecret, webhook},
    repos::{self, Repo},
    state::AppState,
    web::{
        extract::{Admin, CsrfForm, PageRepo},
        html::{forms::no_store, page::CsrfOnly},
    },
};

/// The webhook secret and notification key routes under the mirror settings.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{owner}/{repo}/settings/mirror/webhook", post(rotate))
        .route(
            "/{owner}/{repo}/settings/mirror/webhook/delete",
            post(remove),
        )
        .route(
            "/{owner}/{repo}/settings/mirror/notify_key",
            post(rotate_notify_key),
        )
        .route(
            "/{owner}/{repo}/settings/mirror/notify_key/delete",
            post(remove_notify_key),
        )
}

/// Makes (or replaces) the webhook secret and answers with the settings page showing it this
/// once; never stored in the session, never cached.
async fn rotate(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let made = made_anew(&state, &access, webhook::SECRET, "webhook secret made").await?;
    shown_once(&state, &session, access, Sent::WebhookSecret(made)).await
}

/// Makes (or replaces) the notification key and answers with the settings page showing it
/// this once; never stored in the session, never cached.
async fn rotate_notify_key(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let made = made_anew(&state, &access, key::KEY, "notification key made").await?;
    shown_once(&state, &session, access, Sent::NotifyKey(made)).await
}

/// `secret` of the repository made anew (replacing any), logged as `what`.
async fn made_anew(
    state: &AppState,
    access: &PageRepo<Admin>,
    secret: RepoSecret,
    what: &'static str,
) -> Result<String, Error> {
    let (repo, user) = (&access.repo, &access.viewer);
    let made = secret
        .rotate(&state.db, &state.secrets, repo.repo.id)
        .await?;
    tracing::info!(repo = %repo.full_name(), user_id = user.id, "{what}");
    Ok(made)
}

/// `repo` read again, with the key just stored.
async fn access_again(state: &AppState, repo: &Repo, user: &user::Model) -> Result<Repo, Error> {
    repos::find_admin(&state.db, &repo.owner.username, &repo.repo.name, user)
        .await
        .map_err(|_| Error::NotFound("repository"))
}

/// The settings page of the repository, read again with the secret just stored, showing
/// `sent` (that secret) and marked never to be stored.
async fn shown_once(
    state: &AppState,
    session: &Session,
    access: PageRepo<Admin>,
    sent: Sent,
) -> Result<Response, PageError> {
    let (repo, user) = (access.repo, access.viewer);
    let repo = access_again(state, &repo, &user).await?;
    let page = SettingsPage::build(state, session, &user, &repo, sent, 1).await?;
    let mut response = page.into_response();
    no_store(&mut response);
    Ok(response)
}

/// Removes the secret: the webhook is off.
async fn remove(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let repo = access.repo;
    webhook::SECRET.remove(&state.db, repo.repo.id).await?;
    tracing::info!(repo = %repo.full_name(), "webhook secret removed");
    back_to(
        &session,
        &repo,
        Section::Events,
        "Webhook secret removed: calls to the webhook are refused now.",
    )
    .await
}

/// Removes the notification key: notifications go unsigned.
async fn remove_notify_key(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let repo = access.repo;
    key::KEY.remove(&state.db, repo.repo.id).await?;
    tracing::info!(repo = %repo.full_name(), "notification key removed");
    back_to(
        &session,
        &repo,
        Section::Events,
        "Notification key removed: notifications go unsigned now.",
    )
    .await
}
