//! The preview of what the next sync would change: a page of its own without JavaScript, a
//! fragment that the settings page's "Preview next sync" puts in place with htmx.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use tower_sessions::Session;

use crate::{
    entities::mirror_enums::RefAction,
    error::{Error, PageError},
    mirror::preview::{self, Preview},
    state::AppState,
    web::{
        extract::{Admin, PageRepo},
        html::{
            forms::{from_htmx, no_store},
            page::Layout,
        },
    },
};

/// The preview route under the mirror settings.
pub fn router() -> Router<AppState> {
    Router::new().route("/{owner}/{repo}/settings/mirror/preview", get(show_preview))
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
