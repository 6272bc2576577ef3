//! The run history of the mirror settings page: each run with its trigger, direction,
//! duration, result, error and the refs it changed, a page at a time.

use chrono::{DateTime, Utc};

use super::{mirror_sync::human_bytes, page::TimeView};
use crate::{
    error::Error,
    mirror::runs::{self, RunView},
    state::AppState,
};

/// Runs per page of the history.
pub const RUNS_PER_PAGE: u64 = 10;

/// One ref a run changed, as the history shows it.
pub struct RefRow {
    /// Full ref name.
    pub name: String,
    /// `pulled` (changed here by a fetch) or `pushed` (changed on the downstream).
    pub place: &'static str,
    /// Seven characters of the old id; `None` when created.
    pub old: Option<String>,
    /// Seven characters of the new id; `None` when deleted.
    pub new: Option<String>,
}

/// One run in the history.
pub struct RunRow {
    /// `manual`, `scheduled` or `import`.
    pub trigger: String,
    /// `upstream`, `downstream` or `both`.
    pub direction: String,
    /// `running`, `success`, `up_to_date`, `failed` or `interrupted`.
    pub status: String,
    /// Readable status.
    pub status_label: &'static str,
    /// Start.
    pub started: TimeView,
    /// "12 s", "3 min 4 s"; "running" when not ended.
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

fn duration_text(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

impl RunRow {
    fn new(run: RunView, now: DateTime<Utc>) -> Self {
        let duration = run.finished_at.map_or_else(
            || "running".to_owned(),
            |end| duration_text((end - run.started_at).num_seconds().max(0)),
        );
        let status_label = match run.status.as_str() {
            "running" => "Running",
            "success" => "Success",
            "up_to_date" => "Up to date",
            "failed" => "Failed",
            "interrupted" => "Interrupted",
            _ => "Unknown",
        };
        Self {
            trigger: run.trigger,
            direction: run.direction,
            status_label,
            started: TimeView::new(run.started_at, now),
            duration,
            error: run.error.unwrap_or_default(),
            transferred: format!(
                "{} objects, {}",
                run.objects_transferred,
                human_bytes(u64::try_from(run.bytes_transferred).unwrap_or(0))
            ),
            refs: run
                .ref_updates
                .into_iter()
                .map(|u| RefRow {
                    place: if u.side == "downstream" {
                        "pushed"
                    } else {
                        "pulled"
                    },
                    name: u.ref_name,
                    old: short(u.old),
                    new: short(u.new),
                })
                .collect(),
            status: run.status,
        }
    }
}

/// Page `page` (from 1) of the history of `repo_id`, newest first, and whether older runs exist.
///
/// # Errors
/// The database failed.
pub async fn page_of(
    state: &AppState,
    repo_id: i64,
    page: u64,
) -> Result<(Vec<RunRow>, bool), Error> {
    let mut list = runs::list(
        &state.db,
        repo_id,
        RUNS_PER_PAGE + 1,
        page.saturating_sub(1).saturating_mul(RUNS_PER_PAGE),
    )
    .await?;
    let has_older = list.len() as u64 > RUNS_PER_PAGE;
    list.truncate(usize::try_from(RUNS_PER_PAGE).unwrap_or(10));
    let now = Utc::now();
    Ok((
        list.into_iter().map(|r| RunRow::new(r, now)).collect(),
        has_older,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(4), "4 s");
        assert_eq!(duration_text(184), "3 min 4 s");
        assert_eq!(duration_text(7320), "2 h 2 min");
    }
}
