//! The repository's mirror pages: the settings page ([`settings`]) composed of its
//! [`sections`], the handlers of each section's forms ([`settings_form`], [`push_targets`],
//! [`event_keys`], [`ssh`]), the preview of the next sync ([`sync_preview`]), the sync widget
//! shown on the repository and settings pages ([`sync_widget`]) and the run history
//! ([`history`]) with its chart ([`run_chart`]), each live piece a partial with a fragment
//! route of its own.

pub mod event_keys;
pub mod history;
pub mod push_state;
pub mod push_targets;
pub mod run_chart;
pub mod sections;
pub mod settings;
pub mod settings_form;
pub mod ssh;
pub mod sync_preview;
pub mod sync_widget;

use axum::{Router, routing::get};

use crate::state::AppState;

/// The mirror routes: the settings page and the fragments and actions of its pieces.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{owner}/{repo}/settings/mirror",
            get(settings::show).post(settings_form::save),
        )
        .merge(sync_widget::router())
        .merge(history::router())
        .merge(push_targets::router())
        .merge(push_state::router())
        .merge(event_keys::router())
        .merge(sync_preview::router())
        .merge(ssh::router())
}
