//! Repository pages: `/repo/new` ([`create`]), the repository page `/{owner}/{repo}` with
//! its contents as a partial ([`show`]) and what it says when empty ([`empty_state`]), its own
//! settings `/{owner}/{repo}/settings` ([`settings`]: name, description, visibility, default
//! branch, owner), and the delete confirmation `/{owner}/{repo}/settings/delete` ([`delete`]).

mod create;
mod delete;
mod empty_state;
mod settings;
mod show;

use axum::Router;

use crate::state::AppState;

/// The repository routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(create::router())
        .merge(show::router())
        .merge(settings::router())
        .merge(delete::router())
}

#[cfg(test)]
pub(super) mod test_layout {
    use crate::web::html::page::Layout;

    /// A layout for rendering page templates in unit tests.
    pub fn layout() -> Layout {
        Layout {
            username: Some("alice".to_owned()),
            csrf_token: "t0k3n".to_owned(),
            registration_open: true,
            flash: None,
        }
    }
}
