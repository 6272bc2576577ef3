//! The JSON API under `/api/v1`, one file per resource.

mod mirror;
mod mirrors;
pub mod paging;
mod push_mirrors;
mod repos;
mod user;
mod webhook;

use axum::Router;

use crate::state::AppState;

/// Every API route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(user::router())
        .merge(repos::router())
        .merge(mirror::router())
        .merge(mirrors::router())
        .merge(push_mirrors::router())
        .merge(webhook::router())
}
