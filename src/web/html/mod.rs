//! Server-rendered pages (askama), one module per page group; [`page`] holds what every page
//! shares, [`forms`] the shared form widgets and the rules of htmx fragments.

mod account;
mod account_mirrors;
mod admin_users;
pub mod code;
mod dashboard;
pub mod error_page;
mod explore;
pub mod forms;
mod import;
mod mirrors;
mod orgs;
mod owner_choice;
pub mod page;
mod repo;
mod repo_mirror;
mod repo_rows;
mod tokens;
mod user_settings;

use axum::Router;

use crate::state::AppState;

/// Every HTML route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(dashboard::router())
        .merge(admin_users::router())
        .merge(explore::router())
        .merge(account::router())
        .merge(tokens::router())
        .merge(user_settings::router())
        .merge(repo::router())
        .merge(code::router())
        .merge(repo_mirror::router())
        .merge(mirrors::router())
        .merge(account_mirrors::router())
        .merge(import::router())
        .merge(orgs::router())
}
