//! A push mirror's state on its card ("Pushing…", "Pushed", "Failed" and when), alone for
//! htmx: the card polls it while the repository syncs and pushes there, so a "Sync now" shows
//! its result without a reload.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};

use super::sections::push::{PushRow, rows};
use crate::{
    error::{Error, PageError},
    state::AppState,
    web::{
        extract::{Admin, PushMirrorAccess},
        html::forms::{from_htmx, no_store},
    },
};

/// The fragment route.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/{owner}/{repo}/settings/mirror/push/{id}/state",
        get(fragment),
    )
}

/// The state alone.
#[derive(Template, WebTemplate)]
#[template(path = "mirror/partials/push_state.html")]
struct PushStateFragment {
    /// Owner's username.
    owner: String,
    /// Repository name.
    name: String,
    /// The push mirror as its card shows it.
    p: PushRow,
}

/// The state of push mirror `{id}`: only for htmx (a plain visit goes to the settings page).
async fn fragment(
    State(state): State<AppState>,
    access: PushMirrorAccess<Admin>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (repo, id) = (access.repo, access.mirror.id);
    if !from_htmx(&headers) {
        return Ok(Redirect::to(&format!("/{}/settings/mirror", repo.full_name())).into_response());
    }
    let p = rows(&state, repo.repo.id)
        .await?
        .into_iter()
        .find(|row| row.id == id)
        .ok_or(Error::NotFound("push mirror"))?;
    let mut response = PushStateFragment {
        owner: repo.owner.username,
        name: repo.repo.name,
        p,
    }
    .into_response();
    no_store(&mut response);
    Ok(response)
}
