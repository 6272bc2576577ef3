//! The repository's mirror pages: the settings pages ([`settings`]), one per [`section`], each
//! showing one of the [`sections`]; the handlers of each section's forms ([`settings_form`],
//! [`push_targets`], [`event_keys`], [`ssh`]); the SSH host keys checked and pinned by hand
//! ([`host_keys`]); the schedule's live reading ([`schedule_reading`]); the preview of the next
//! sync ([`sync_preview`]); the sync widget shown on the repository and settings pages
//! ([`sync_widget`]); and the run history ([`history`]) with its chart ([`run_chart`]) and the
//! confirmation page that restores a run ([`restore_page`]). Each
//! live piece is a partial with a fragment route of its own.

pub mod event_keys;
pub mod history;
pub mod host_keys;
pub mod push_state;
pub mod push_targets;
pub mod ref_map_rows;
pub mod restore_page;
pub mod run_chart;
pub mod schedule_reading;
pub mod section;
pub mod sections;
pub mod settings;
pub mod settings_form;
pub mod ssh;
pub mod sync_preview;
pub mod sync_widget;

use axum::Router;

use self::{section::Section, settings::page};
use crate::state::AppState;

/// The mirror routes: the settings pages of each section and the fragments and actions of
/// their pieces (the push mirrors' and the history's pages are routed with their handlers).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{owner}/{repo}/settings/mirror",
            page(Section::Pull).post(settings_form::save),
        )
        .route(
            "/{owner}/{repo}/settings/mirror/schedule",
            page(Section::Schedule),
        )
        .route(
            "/{owner}/{repo}/settings/mirror/events",
            page(Section::Events),
        )
        .route("/{owner}/{repo}/settings/mirror/ssh", page(Section::Ssh))
        .merge(sync_widget::router())
        .merge(history::router())
        .merge(restore_page::router())
        .merge(push_targets::router())
        .merge(push_state::router())
        .merge(event_keys::router())
        .merge(sync_preview::router())
        .merge(schedule_reading::router())
        .merge(ssh::router())
        .merge(host_keys::router())
}
