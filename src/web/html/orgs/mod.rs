//! Organisation pages: "New organisation" `/org/new` ([`new`]), an organisation's page
//! `/{org}` with its repositories and members ([`page`]), and what its owners and members
//! do there, posted under `/org/{org}/…` ([`members`]).

mod members;
mod new;
mod page;

use axum::Router;

use crate::state::AppState;

/// The organisation routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(new::router())
        .merge(page::router())
        .merge(members::router())
}
