//! GET `/{owner}/{repo}/settings/mirror/schedule/reading`: the schedule's reading ("Now: …")
//! of the interval and schedule as typed, checked by the code the save uses, so the schedule
//! section says when syncs would run before it is saved. htmx only; a plain visit goes to the
//! schedule section.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use chrono::Utc;
use serde::Deserialize;

use super::{
    section::Section,
    sections::schedule::{Saved, ScheduleReading},
};
use crate::{
    error::PageError,
    state::AppState,
    web::{
        extract::{Admin, PageRepo},
        html::forms::{IntervalChoice, from_htmx, no_store},
    },
};

/// The reading's fragment route.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/{owner}/{repo}/settings/mirror/schedule/reading",
        get(fragment),
    )
}

/// The schedule section's fields as typed (the names of the form's fields).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Typed {
    sync_interval: String,
    sync_interval_custom: String,
    sync_schedule: String,
}

/// The reading alone, with the interval's note out of band.
#[derive(Template, WebTemplate)]
#[template(path = "mirror/partials/schedule_reading.html")]
struct ScheduleReadingFragment {
    /// When syncs would run, and which field rules.
    reading: ScheduleReading,
}

/// The reading of what was typed: only for htmx (a plain visit goes to the schedule section).
async fn fragment(
    State(state): State<AppState>,
    access: PageRepo<Admin>,
    headers: HeaderMap,
    Query(typed): Query<Typed>,
) -> Result<Response, PageError> {
    let repo = &access.repo;
    if !from_htmx(&headers) {
        let page = Section::Schedule.path(&repo.owner.username, &repo.repo.name);
        return Ok(Redirect::to(&page).into_response());
    }
    let interval = IntervalChoice {
        preset: typed.sync_interval,
        custom: typed.sync_interval_custom,
    };
    let mut reading = ScheduleReading::typed(
        &state.config,
        &interval,
        &typed.sync_schedule,
        Saved::of(&repo.repo),
        Utc::now(),
    );
    reading.oob = true;
    let mut response = ScheduleReadingFragment { reading }.into_response();
    no_store(&mut response);
    Ok(response)
}
