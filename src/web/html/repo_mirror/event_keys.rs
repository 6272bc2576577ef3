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
    settings::{Sent, SettingsPage},
    sync_widget::WidgetPlace,
};
use crate::{
    entities::user,
    error::{Error, PageError},
    mirror::{notify::key, webhook},
    repos::{self, Repo},
    state::AppState,
    web::{
        extract::{Admin, CsrfForm, PageRepo},
        html::{
            forms::no_store,
            page::{CsrfOnly, flash_redirect},
        },
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

/// Makes (or replaces) the secret and answers with the settings page showing it this once;
/// never stored in the session, never cached.
async fn rotate(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let (repo, user) = (access.repo, access.viewer);
    let secret = webhook::SECRET
        .rotate(&state.db, &state.secrets, repo.repo.id)
        .await?;
    tracing::info!(repo = %repo.full_name(), user_id = user.id, "webhook secret made");
    shown_once(
        &state,
        &session,
        access_again(&state, &repo, &user).await?,
        &user,
        Sent::WebhookSecret(secret),
    )
    .await
}

/// Makes (or replaces) the notification key and answers with the settings page showing it
/// this once; never stored in the session, never cached.
async fn rotate_notify_key(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let (repo, user) = (access.repo, access.viewer);
    let made = key::KEY
        .rotate(&state.db, &state.secrets, repo.repo.id)
        .await?;
    tracing::info!(repo = %repo.full_name(), user_id = user.id, "notification key made");
    shown_once(
        &state,
        &session,
        access_again(&state, &repo, &user).await?,
        &user,
        Sent::NotifyKey(made),
    )
    .await
}

/// `repo` read again, with the key just stored.
async fn access_again(state: &AppState, repo: &Repo, user: &user::Model) -> Result<Repo, Error> {
    repos::find_admin(&state.db, &repo.owner.username, &repo.repo.name, user)
        .await
        .map_err(|_| Error::NotFound("repository"))
}

/// The settings page of `repo` showing `sent` (a secret just made), marked never to be stored.
async fn shown_once(
    state: &AppState,
    session: &Session,
    repo: Repo,
    user: &user::Model,
    sent: Sent,
) -> Result<Response, PageError> {
    let page = SettingsPage::build(state, session, user, &repo, sent, 1).await?;
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
    let page = WidgetPlace::Settings.path(&repo.owner.username, &repo.repo.name);
    Ok(flash_redirect(
        &session,
        "Webhook secret removed: calls to the webhook are refused now.",
        &format!("{page}#webhook"),
    )
    .await?)
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
    let page = WidgetPlace::Settings.path(&repo.owner.username, &repo.repo.name);
    Ok(flash_redirect(
        &session,
        "Notification key removed: notifications go unsigned now.",
        &format!("{page}#notify-key"),
    )
    .await?)
}
