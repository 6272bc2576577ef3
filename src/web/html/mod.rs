//! Server-rendered pages (askama), one file per page group; [`page`] holds what they share.

mod account;
mod dashboard;
mod import;
mod mirror;
mod mirror_runs;
mod mirror_sync;
mod page;
mod repo;
mod tokens;

use axum::Router;

use crate::state::AppState;

/// Every HTML route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(dashboard::router())
        .merge(account::router())
        .merge(tokens::router())
        .merge(repo::router())
        .merge(mirror::router())
        .merge(mirror_sync::router())
        .merge(import::router())
}
