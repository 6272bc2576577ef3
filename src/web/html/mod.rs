//! Server-rendered pages (askama), one file per page group.

use axum::Router;

use crate::state::AppState;

/// Every HTML route.
pub fn router() -> Router<AppState> {
    Router::new()
}
