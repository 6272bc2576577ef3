//! The mirror pages: the settings form ([`settings`]), the sync widget shown on the repository
//! and settings pages ([`sync_widget`]) the run history ([`history`]) with its chart ([`run_chart`]),
//! each live piece a partial with a fragment route of its own.

pub mod events;
pub mod history;
pub mod push_targets;
pub mod run_chart;
pub mod settings;
pub mod ssh;
pub mod sync_widget;

use axum::Router;

use crate::state::AppState;

/// The mirror routes: the settings page and the fragments and actions of its pieces.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(settings::router())
        .merge(sync_widget::router())
        .merge(history::router())
        .merge(push_targets::router())
        .merge(events::router())
        .merge(ssh::router())
}
