//! HTTP routes: the JSON API (with its OpenAPI document and Swagger UI), the HTML pages, git
//! smart HTTP and the Git LFS server, composed in [`app`].

pub mod api;
pub mod body;
pub mod extract;
pub mod git_http;
pub mod html;
pub mod lfs_api;
pub mod ops;
pub mod swagger;

use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    response::IntoResponse,
};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer, trace::TraceLayer};
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
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(SESSION_LIFETIME));
    // Bodies read whole are timed here; git's and LFS objects' stream to a process or a file
    // and keep their own idle rule (`git_idle_timeout`).
    let read_whole = Router::new()
        .merge(api::router())
        .merge(swagger::router())
        .merge(lfs_api::router())
        .merge(html::router())
        .merge(ops::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            html::error_page::dress,
        ));
    body::timed(read_whole, state.config.body_idle_timeout)
        .merge(git_http::router())
        .merge(lfs_api::transfers())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::count_requests,
        ))
        // Pages and API answers are about someone and change: no cache keeps them, unless the
        // handler said otherwise (git's `no-cache`). Static files, added after, stay cacheable.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .nest_service("/static", ServeDir::new(static_dir()))
        .layer(sessions)
        // No page may be framed (the one-click buttons could be clickjacked), and no answer is
        // read as another type than it says.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
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
