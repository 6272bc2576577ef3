//! The settings page's control of events: the webhook secret (made or rotated, shown once with
//! how to enter it at each forge; removed), the notification key (the same, for what this
//! server sends) and the preview of what the next sync would change.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use tower_sessions::Session;

use super::{
    settings::{Sent, SettingsTemplate},
    sync_widget::Place,
};
use crate::{
    auth::csrf::CsrfForm,
    entities::mirror_enums::RefAction,
    error::{Error, PageError},
    mirror::{
        notify::key,
        preview::{self, Preview},
        webhook,
    },
    state::AppState,
    web::{
        extract::{Admin, PageRepo},
        html::{
            forms::{from_htmx, no_store},
            page::{CsrfOnly, Layout, set_flash},
        },
    },
};

/// The webhook, notification key and preview routes under the mirror settings.
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
        .route("/{owner}/{repo}/settings/mirror/preview", get(show_preview))
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
async fn access_again(
    state: &AppState,
    repo: &crate::repos::Repo,
    user: &crate::entities::user::Model,
) -> Result<crate::repos::Repo, Error> {
    crate::repos::find_admin(&state.db, &repo.owner.username, &repo.repo.name, user)
        .await
        .map_err(|_| Error::NotFound("repository"))
}

/// The settings page of `repo` showing `sent` (a secret just made), marked never to be stored.
async fn shown_once(
    state: &AppState,
    session: &Session,
    repo: crate::repos::Repo,
    user: &crate::entities::user::Model,
    sent: Sent,
) -> Result<Response, PageError> {
    let page = SettingsTemplate::build(state, session, user, &repo, sent, 1).await?;
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
    set_flash(
        &session,
        "Webhook secret removed: calls to the webhook are refused now.",
    )
    .await?;
    let page = Place::Settings.path(&repo.owner.username, &repo.repo.name);
    Ok(Redirect::to(&format!("{page}#webhook")).into_response())
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
    set_flash(
        &session,
        "Notification key removed: notifications go unsigned now.",
    )
    .await?;
    let page = Place::Settings.path(&repo.owner.username, &repo.repo.name);
    Ok(Redirect::to(&format!("{page}#notify-key")).into_response())
}

/// What the preview shows, on its page and in its fragment.
struct PreviewView {
    /// Owner's username.
    owner: String,
    /// Repository name.
    name: String,
    /// What the next sync would change, when the remotes could be read.
    preview: Option<Preview>,
    /// Why there is no preview.
    problem: Option<String>,
}

impl PreviewView {
    /// Words for an action in the table.
    fn action_words(&self, action: &RefAction) -> &'static str {
        match action {
            RefAction::Create => "create",
            RefAction::Update => "move",
            RefAction::Force => "force (history rewritten)",
            RefAction::Delete => "delete",
            RefAction::Diverged => "leave diverged",
        }
    }

    /// The first 10 characters of an object id, or a dash.
    fn short(&self, id: &Option<String>) -> String {
        id.as_deref()
            .map_or_else(|| "—".to_owned(), |id| id.chars().take(10).collect())
    }
}

/// The preview page, without JavaScript.
#[derive(Template, WebTemplate)]
#[template(path = "mirror/preview.html")]
struct PreviewTemplate {
    /// Header and navigation.
    layout: Layout,
    /// The preview.
    view: PreviewView,
}

/// The preview alone, for htmx to put into the settings page.
#[derive(Template, WebTemplate)]
#[template(path = "mirror/partials/preview.html")]
struct PreviewFragment {
    /// The preview.
    view: PreviewView,
}

/// The preview: a page of its own without JavaScript; for htmx its fragment, which the
/// settings page puts in place (answered 200 even when a remote failed, so the message shows).
async fn show_preview(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (repo, user) = (access.repo, access.viewer);
    let (status, preview, problem) = if !repo.repo.mirror_enabled {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(
                "Mirroring is off for this repository: there is no next sync to preview."
                    .to_owned(),
            ),
        )
    } else {
        match preview::preview(&state.db, &state.config, &state.secrets, &repo).await {
            Ok(preview) => (StatusCode::OK, Some(preview), None),
            Err(Error::Remote(message)) => (
                StatusCode::BAD_GATEWAY,
                None,
                Some(format!("A remote could not be read: {message}")),
            ),
            Err(e) => return Err(e.into()),
        }
    };
    let view = PreviewView {
        owner: repo.owner.username.clone(),
        name: repo.repo.name.clone(),
        preview,
        problem,
    };
    let mut response = if from_htmx(&headers) {
        PreviewFragment { view }.into_response()
    } else {
        let layout = Layout::new(&state, &session, Some(&user)).await?;
        (status, PreviewTemplate { layout, view }).into_response()
    };
    no_store(&mut response);
    Ok(response)
}
