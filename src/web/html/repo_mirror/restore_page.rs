//! `/{owner}/{repo}/settings/mirror/runs/{id}/restore`: the confirmation page of a restore
//! (each ref the run changed here and what it goes back to) and its form, which restores the
//! run and goes back to the history with a notice. Plain form, no JavaScript needed.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{section::Section, settings::back_to};
use crate::{
    entities::mirror_enums::Trigger,
    error::{Error, PageError},
    mirror::restore,
    state::AppState,
    web::{
        extract::{Admin, CsrfForm, PageRepo},
        html::page::{CsrfOnly, Layout},
    },
};

/// The page and its form.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/{owner}/{repo}/settings/mirror/runs/{id}/restore",
        get(confirm).post(restore_run),
    )
}

/// The path of one run's restore page.
#[derive(Deserialize)]
struct RunPath {
    /// The run's id (anything else is no run).
    id: String,
}

impl RunPath {
    /// The run's id; 404 when it is not a number.
    fn id(&self) -> Result<i64, Error> {
        self.id.parse().map_err(|_| Error::NotFound("run"))
    }
}

/// One ref as the confirmation lists it.
struct StepRow {
    /// Full ref name.
    name: String,
    /// Seven characters of its id now; `None` when it does not exist now (it comes back).
    now: Option<String>,
    /// Seven characters of the id it goes back to; `None` when it is deleted.
    back_to: Option<String>,
}

/// The confirmation page.
#[derive(Template, WebTemplate)]
#[template(path = "mirror/restore.html")]
struct RestorePage {
    /// Header and navigation.
    layout: Layout,
    /// Owner's username.
    owner: String,
    /// Repository name.
    name: String,
    /// The run to restore.
    run_id: i64,
    /// Each ref it changes.
    steps: Vec<StepRow>,
    /// How many of them are deleted (the run created them).
    deletes: usize,
    /// Whether the run was the import: restoring it empties the repository.
    from_import: bool,
    /// Why it cannot be restored, when it cannot.
    refused: Option<String>,
    /// Where the form posts.
    action: String,
    /// The history section.
    back: String,
}

fn short(id: Option<String>) -> Option<String> {
    id.map(|id| id.chars().take(7).collect())
}

/// The sentence of a refusal (422) to show on the page; other errors stay errors.
fn refusal(e: Error) -> Result<String, Error> {
    match e {
        Error::Validation(fields) => Ok(fields.into_values().collect::<Vec<_>>().join("; ")),
        other => Err(other),
    }
}

/// GET: what restoring the run would change.
async fn confirm(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    Path(path): Path<RunPath>,
) -> Result<Response, PageError> {
    let run_id = path.id()?;
    let repo = &access.repo;
    let (steps, refused, from_import) =
        match restore::plan(&state.db, &state.config, repo, run_id).await {
            Ok(plan) => (
                plan.steps
                    .into_iter()
                    .map(|s| StepRow {
                        name: s.name,
                        now: short(s.now),
                        back_to: short(s.back_to),
                    })
                    .collect::<Vec<_>>(),
                None,
                plan.run.trigger == Trigger::Import,
            ),
            Err(e) => (Vec::new(), Some(refusal(e)?), false),
        };
    let (owner, name) = (repo.owner.username.clone(), repo.repo.name.clone());
    Ok(RestorePage {
        layout: Layout::new(&state, &session, Some(&access.viewer)).await?,
        action: format!("/{owner}/{name}/settings/mirror/runs/{run_id}/restore"),
        back: Section::History.path(&owner, &name),
        owner,
        name,
        run_id,
        deletes: steps.iter().filter(|s| s.back_to.is_none()).count(),
        from_import,
        steps,
        refused,
    }
    .into_response())
}

/// POST: restores the run and goes back to the history with a notice (what it did, or why
/// it could not).
async fn restore_run(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    Path(path): Path<RunPath>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let run_id = path.id()?;
    let repo = &access.repo;
    let notice = match state.engine.restore(repo, run_id).await {
        Ok(new_run) => format!(
            "Run {run_id} restored by run {new_run}. Mirroring is paused so the next sync does \
             not undo it."
        ),
        Err(Error::Conflict(said)) => format!("Run {run_id} was not restored: {said}."),
        Err(e) => format!("Run {run_id} was not restored: {}.", refusal(e)?),
    };
    back_to(&session, repo, Section::History, notice).await
}
