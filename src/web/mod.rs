//! HTTP routes: the JSON API, the HTML pages and git smart HTTP, composed in [`app`].

pub mod api;
pub mod extract;
pub mod git_http;
pub mod html;

use axum::{Router, http::StatusCode, response::IntoResponse};
use tower_http::{services::ServeDir, trace::TraceLayer};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

use crate::{
    auth::{SESSION_LIFETIME, session_store::DbSessionStore},
    state::AppState,
};

/// The whole application router, with sessions and tracing applied.
pub fn app(state: AppState, store: DbSessionStore) -> Router {
    let sessions = SessionManagerLayer::new(store)
        .with_name("mirrorforge_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(false)
        .with_expiry(Expiry::OnInactivity(SESSION_LIFETIME));
    Router::new()
        .nest("/api/v1", api::router())
        .merge(git_http::router())
        .merge(html::router())
        .nest_service("/static", ServeDir::new(static_dir()))
        .fallback(not_found)
        .layer(sessions)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The `static/` folder: beside the crate in development, or next to the working directory.
fn static_dir() -> std::path::PathBuf {
    let local = std::path::PathBuf::from("static");
    if local.is_dir() {
        local
    } else {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static")
    }
}

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        crate::error::ApiError(crate::error::Error::NotFound("route")).into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            crate::error::PageError(crate::error::Error::NotFound("page")),
        )
            .into_response()
    }
}
