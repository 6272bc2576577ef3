//! `/{owner}/{repo}/settings/delete`: type the repository's name to delete it.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use tower_sessions::Session;

use crate::{
    error::PageError,
    repos,
    state::AppState,
    web::extract::CsrfForm,
    web::{
        extract::{Admin, PageRepo},
        html::page::{FormErrors, Layout, set_flash},
    },
};

/// `/{owner}/{repo}/settings/delete`.
pub(super) fn router() -> Router<AppState> {
    Router::new().route(
        "/{owner}/{repo}/settings/delete",
        get(delete_page).post(delete),
    )
}

/// "Type the repository name to confirm."
#[derive(Template, WebTemplate)]
#[template(path = "repo/delete.html")]
struct DeleteTemplate {
    /// Header and navigation.
    layout: Layout,
    /// Owner's username.
    owner: String,
    /// Repository name, which must be typed exactly.
    name: String,
    /// What was typed, kept after a mismatch.
    typed: String,
    /// Inline message for the confirmation field.
    errors: FormErrors,
}

async fn delete_page(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
) -> Result<DeleteTemplate, PageError> {
    let (repo, user) = (access.repo, access.viewer);
    Ok(DeleteTemplate {
        layout: Layout::new(&state, &session, Some(&user)).await?,
        owner: repo.owner.username,
        name: repo.repo.name,
        typed: String::new(),
        errors: FormErrors::default(),
    })
}

/// The confirmation form: the repository name, typed again.
#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteForm {
    name: String,
}

async fn delete(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<Response, PageError> {
    let (repo, user) = (access.repo, access.viewer);
    if form.name != repo.repo.name {
        let message = format!(
            "type the name exactly as shown, {}, to confirm",
            repo.repo.name
        );
        let page = DeleteTemplate {
            layout: Layout::new(&state, &session, Some(&user)).await?,
            owner: repo.owner.username,
            name: repo.repo.name,
            typed: form.name,
            errors: FormErrors::on("name", message),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let full_name = repo.full_name();
    let repo_id = repo.repo.id;
    repos::delete(&state.db, &state.config, &state.lfs, repo).await?;
    tracing::info!(repo_id, repo = %full_name, user_id = user.id, "repository deleted");
    set_flash(&session, format!("Repository {full_name} deleted.")).await?;
    Ok(Redirect::to("/").into_response())
}
