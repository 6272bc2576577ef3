//! The run history of the mirror settings: each run with its trigger, direction, duration,
//! result, error and the refs it changed, a page at a time. One partial,
//! `mirror/partials/run_history.html`, is rendered inside the history section's page and alone,
//! for htmx, when a sync ends; both answer at `/{owner}/{repo}/settings/mirror/history`.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use std::collections::HashMap;
use tower_sessions::Session;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Deserialize;

use super::{run_chart::duration_words, section::Section, settings, sync_widget::human_bytes};
use crate::{
    entities::mirror_enums::{RefAction, RefSide, RunStatus, Trigger},
    error::{Error, PageError},
    mirror::{
        push_mirrors,
        runs::{self, RunView},
    },
    state::AppState,
    web::{
        extract::{Admin, PageRepo},
        html::{
            forms::{from_htmx, no_store},
            page::TimeView,
        },
    },
};

/// The history's route: the fragment for htmx, the history section's page for a plain visit.
pub fn router() -> Router<AppState> {
    Router::new().route("/{owner}/{repo}/settings/mirror/history", get(fragment))
}

/// Runs per page of the history.
pub const RUNS_PER_PAGE: u64 = 10;

/// One ref a run changed, as the history shows it.
pub struct RefRow {
    /// Full ref name.
    pub name: String,
    /// `pulled` (changed here by a fetch), `restored here` (by a restore), or `pushed to URL`
    /// (changed on a push mirror).
    pub place: String,
    /// `created`, `updated`, `forced`, `deleted` or `diverged` (left as it was there, or here
    /// for a pull that applies only fast-forwards).
    pub action: &'static str,
    /// Seven characters of the old id; `None` when created.
    pub old: Option<String>,
    /// Seven characters of the new id; `None` when deleted.
    pub new: Option<String>,
    /// Its name on the other side when a branch map renamed it.
    pub source: Option<String>,
}

/// One run in the history.
pub struct RunRow {
    /// The run's id.
    pub id: i64,
    /// It changed refs here (not only on push mirrors): "Restore…" is offered.
    pub restorable: bool,
    /// For a restore run, the run it put back.
    pub restored_run: Option<i64>,
    /// `manual`, `scheduled`, `import`, `push`, `webhook` or `restore`.
    pub trigger: &'static str,
    /// `upstream`, `downstream` or `both`.
    pub direction: &'static str,
    /// `running`, `success`, `up_to_date`, `failed` or `interrupted` (a class name).
    pub status: &'static str,
    /// Readable status.
    pub status_label: &'static str,
    /// Start.
    pub started: TimeView,
    /// "15 ms", "12.3 s", "3 min 4 s", as the chart's median; "running" when not ended.
    pub duration: String,
    /// The failure, "" when none.
    pub error: String,
    /// "42 objects, 1.2 MiB".
    pub transferred: String,
    /// Refs changed.
    pub refs: Vec<RefRow>,
}

fn short(id: Option<String>) -> Option<String> {
    id.map(|id| id.chars().take(7).collect())
}

/// What happened to a ref on `side`, in words.
fn action_words(action: RefAction, side: RefSide) -> &'static str {
    match action {
        RefAction::Diverged if side == RefSide::Upstream => "diverged: left as it was here",
        RefAction::Create => "created",
        RefAction::Update => "updated",
        RefAction::Force => "forced",
        RefAction::Delete => "deleted",
        RefAction::Diverged => "diverged: left as it was there",
    }
}

impl RunRow {
    /// `run` as the history shows it; `targets` names the push mirrors by id.
    fn new(run: RunView, now: DateTime<Utc>, targets: &HashMap<i64, String>) -> Self {
        let duration = run.finished_at.map_or_else(
            || "running".to_owned(),
            |end| duration_words((end - run.started_at).num_milliseconds()),
        );
        let status_label = match run.status {
            RunStatus::Running => "Running",
            RunStatus::Success => "Success",
            RunStatus::UpToDate => "Up to date",
            RunStatus::Failed => "Failed",
            RunStatus::Interrupted => "Interrupted",
            RunStatus::Cancelled => "Cancelled",
        };
        let restorable = run
            .ref_updates
            .iter()
            .any(|u| u.side == RefSide::Upstream && u.action != RefAction::Diverged);
        let restore = run.trigger == Trigger::Restore;
        Self {
            id: run.id,
            restorable,
            restored_run: run.restored_run_id,
            trigger: run.trigger.as_str(),
            direction: run.direction.as_str(),
            status_label,
            started: TimeView::new(run.started_at, now),
            duration,
            error: run.error,
            transferred: {
                let mut text = format!(
                    "{}, {}",
                    count_of(run.objects_transferred, "object"),
                    human_bytes(u64::try_from(run.bytes_transferred).unwrap_or(0))
                );
                if run.lfs_objects_transferred > 0 {
                    text.push_str(&format!(
                        "; {}, {}",
                        count_of(run.lfs_objects_transferred, "LFS object"),
                        human_bytes(u64::try_from(run.lfs_bytes_transferred).unwrap_or(0))
                    ));
                }
                text
            },
            refs: run
                .ref_updates
                .into_iter()
                .map(|u| RefRow {
                    place: match (u.side, u.push_mirror_id) {
                        (RefSide::Upstream, _) if restore => "restored here".to_owned(),
                        (RefSide::Upstream, _) => "pulled".to_owned(),
                        (RefSide::Downstream, Some(id)) => match targets.get(&id) {
                            Some(url) => format!("pushed to {url}"),
                            None => "pushed to a push mirror since removed".to_owned(),
                        },
                        (RefSide::Downstream, None) => "pushed".to_owned(),
                    },
                    action: action_words(u.action, u.side),
                    name: u.ref_name,
                    old: short(u.old),
                    new: short(u.new),
                    source: u.source_ref,
                })
                .collect(),
            status: run.status.as_str(),
        }
    }
}

/// One page of a repository's history, as the partial shows it.
pub struct RunHistory {
    /// Owner's username.
    pub owner: String,
    /// Repository name.
    pub name: String,
    /// This page's runs, newest first.
    pub runs: Vec<RunRow>,
    /// The page shown (from 1).
    pub page: u64,
    /// Whether older runs exist.
    pub has_older: bool,
}

impl RunHistory {
    /// Page `page` (from 1) of the history of `repo_id` (`owner/name`), newest first.
    ///
    /// # Errors
    /// The database failed.
    pub async fn load(
        db: &DatabaseConnection,
        owner: &str,
        name: &str,
        repo_id: i64,
        page: u64,
    ) -> Result<Self, Error> {
        let mut list = runs::list(
            db,
            repo_id,
            RUNS_PER_PAGE + 1,
            page.saturating_sub(1).saturating_mul(RUNS_PER_PAGE),
        )
        .await?;
        let has_older = list.len() as u64 > RUNS_PER_PAGE;
        list.truncate(usize::try_from(RUNS_PER_PAGE).unwrap_or(10));
        let now = Utc::now();
        let targets: HashMap<i64, String> = push_mirrors::list(db, repo_id)
            .await?
            .into_iter()
            .map(|m| (m.id, m.remote_url))
            .collect();
        Ok(Self {
            owner: owner.to_owned(),
            name: name.to_owned(),
            runs: list
                .into_iter()
                .map(|r| RunRow::new(r, now, &targets))
                .collect(),
            page,
            has_older,
        })
    }

    /// The history section's page showing page `page` of the history.
    fn page_url(&self, page: u64) -> String {
        format!(
            "/{}/{}/settings/mirror/history?page={page}",
            self.owner, self.name
        )
    }

    /// Where htmx fetches this page of the history again.
    #[must_use]
    pub fn fragment_url(&self) -> String {
        format!(
            "/{}/{}/settings/mirror/history?page={}",
            self.owner, self.name, self.page
        )
    }

    /// The confirmation page that restores run `id`.
    #[must_use]
    pub fn restore_url(&self, id: &i64) -> String {
        format!(
            "/{}/{}/settings/mirror/runs/{id}/restore",
            self.owner, self.name
        )
    }

    /// The link to newer runs.
    #[must_use]
    pub fn newer_url(&self) -> String {
        self.page_url(self.page.saturating_sub(1))
    }

    /// The link to older runs.
    #[must_use]
    pub fn older_url(&self) -> String {
        self.page_url(self.page.saturating_add(1))
    }
}

/// `?page=N` of the history: anything unreadable is the first page, anything huge the last
/// one there could be.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    /// The page asked for, from 1.
    #[must_use]
    pub fn page(&self) -> u64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
            .clamp(1, 100_000)
    }
}

/// The history alone, for htmx.
#[derive(Template, WebTemplate)]
#[template(path = "mirror/partials/run_history.html")]
struct RunHistoryFragment {
    /// The page of the history.
    history: RunHistory,
}

/// The fragment for htmx; a plain visit gets the history section's page at that page.
async fn fragment(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Result<Response, PageError> {
    let mut response = if from_htmx(&headers) {
        let repo = &access.repo;
        let history = RunHistory::load(
            &state.db,
            &repo.owner.username,
            &repo.repo.name,
            repo.repo.id,
            query.page(),
        )
        .await?;
        let mut response = RunHistoryFragment { history }.into_response();
        no_store(&mut response);
        response
    } else {
        settings::show(&state, &session, access, Section::History, query.page())
            .await?
            .into_response()
    };
    // One URL, two answers: a cache must tell them apart.
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("HX-Request"));
    Ok(response)
}

/// "1 object", "3 objects".
fn count_of(n: i64, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        // Under a second in milliseconds, as the chart's median: never "0 s".
        assert_eq!(duration_words(15), "15 ms");
        assert_eq!(duration_words(4_000), "4.0 s");
        assert_eq!(duration_words(184_000), "3 min 4 s");
        assert_eq!(duration_words(7_320_000), "2 h 2 min");
    }
}
