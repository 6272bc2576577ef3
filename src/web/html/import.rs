//! `/repo/import`: copy a repository from a URL, once or as an upstream mirror; through
//! `mirror::import`, the same path as `POST /api/v1/repos/import`.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    forms::IntervalChoice,
    owner_choice::{OwnerChoice, OwnerQuery, form_errors},
    page::{FormErrors, Layout},
};
use crate::{
    error::PageError,
    mirror::import::{ImportRequest, name_from_url},
    repos::access,
    state::AppState,
    web::extract::CsrfForm,
    web::extract::WebUser,
};

/// Fields `import` may name, all shown on the form.
const FIELDS: &[&str] = &[
    "owner",
    "name",
    "clone_url",
    "description",
    "auth_username",
    "auth_password",
    "sync_interval",
    "lfs_endpoint",
    "depth",
];

/// The import route.
pub fn router() -> Router<AppState> {
    Router::new().route("/repo/import", get(page).post(submit))
}

/// The import form.
#[derive(Template, WebTemplate)]
#[template(path = "mirror/import.html")]
struct ImportTemplate {
    /// Header and navigation.
    layout: Layout,
    /// The owners the user may import into, and the one chosen.
    owner: OwnerChoice,
    /// The URL typed.
    clone_url: String,
    /// The name typed (empty: taken from the URL).
    name: String,
    /// The username typed (never the password).
    auth_username: String,
    /// "Keep as mirror" ticked.
    mirror: bool,
    /// "Private" ticked.
    private: bool,
    /// Whether "LFS" is ticked.
    lfs: bool,
    /// The LFS endpoint typed.
    lfs_endpoint: String,
    /// The history depth typed ("": the whole history).
    depth: String,
    /// The interval chosen.
    interval: IntervalChoice,
    /// The smallest interval accepted.
    min_interval: i64,
    /// Inline messages.
    errors: FormErrors,
}

async fn page(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    Query(query): Query<OwnerQuery>,
) -> Result<ImportTemplate, PageError> {
    Ok(ImportTemplate {
        owner: OwnerChoice::load(&state.db, &user, &query.owner).await?,
        layout: Layout::new(&state, &session, Some(&user)).await?,
        clone_url: String::new(),
        name: String::new(),
        auth_username: String::new(),
        mirror: true,
        private: false,
        lfs: false,
        lfs_endpoint: String::new(),
        depth: String::new(),
        interval: IntervalChoice::of(3600),
        min_interval: state.config.min_sync_interval,
        errors: FormErrors::default(),
    })
}

/// The form's fields; unticked checkboxes are absent.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportForm {
    owner: String,
    clone_url: String,
    name: String,
    auth_username: String,
    auth_password: String,
    mirror: Option<String>,
    private: Option<String>,
    sync_interval: String,
    sync_interval_custom: String,
    lfs: Option<String>,
    lfs_endpoint: String,
    depth: String,
}

/// The depth typed: empty or `0` is the whole history; what is not a whole number is out of
/// range, so the import's own check names the field and says what it takes.
fn depth_of(typed: &str) -> Option<i64> {
    match typed.trim() {
        "" => None,
        number => Some(number.parse().unwrap_or(-1)),
    }
}

async fn submit(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    CsrfForm(form): CsrfForm<ImportForm>,
) -> Result<Response, PageError> {
    let name = match form.name.trim() {
        "" => name_from_url(&form.clone_url),
        typed => typed.to_owned(),
    };
    let mirror = form.mirror.is_some();
    let interval = IntervalChoice {
        preset: form.sync_interval,
        custom: form.sync_interval_custom,
    };
    let request = ImportRequest {
        name: name.clone(),
        clone_url: form.clone_url.clone(),
        mirror,
        private: form.private.is_some(),
        description: String::new(),
        auth_username: Some(form.auth_username.clone()),
        auth_password: Some(form.auth_password),
        // A one-time copy has no interval to check.
        sync_interval: mirror.then(|| interval.seconds()),
        lfs: form.lfs.is_some(),
        lfs_endpoint: Some(form.lfs_endpoint.clone()),
        depth: depth_of(&form.depth),
    };
    let imported = match access::owner_to_create_in(&state.db, &user, Some(&form.owner)).await {
        Ok(owner) => state.importer().import(&owner, request).await,
        Err(err) => Err(err),
    };
    match imported {
        Ok(repo) => {
            tracing::info!(repo_id = repo.repo.id, repo = %repo.full_name(), mirror, "repository imported");
            // Both parts passed the name rules; the page shows the first sync running.
            Ok(Redirect::to(&format!("/{}", repo.full_name())).into_response())
        }
        Err(err) => {
            let (status, errors) = form_errors(err, FIELDS, "name")?;
            let page = ImportTemplate {
                owner: OwnerChoice::load(&state.db, &user, &form.owner).await?,
                layout: Layout::new(&state, &session, Some(&user)).await?,
                clone_url: form.clone_url,
                name,
                auth_username: form.auth_username,
                mirror,
                private: form.private.is_some(),
                lfs: form.lfs.is_some(),
                lfs_endpoint: form.lfs_endpoint,
                depth: form.depth,
                interval,
                min_interval: state.config.min_sync_interval,
                errors,
            };
            Ok((status, page).into_response())
        }
    }
}
