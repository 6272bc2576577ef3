//! The history section of the mirror settings page: the last runs as a chart, one page of the
//! run history (which its own fragment route also renders alone), then the kept refs — the
//! old values runs overwrote or deleted here, each under the run that kept it.

use std::collections::HashMap;

use askama::Template;
use chrono::{DateTime, Utc};

use crate::{
    git::kept::KeptCommit,
    mirror::kept::KeptView,
    web::html::{
        page::TimeView,
        repo_mirror::{history::RunHistory, run_chart::RunChart},
    },
};

/// One kept ref as the section lists it.
pub struct KeptRow {
    /// The run that kept it.
    pub run_id: i64,
    /// The full original ref name.
    pub reference: String,
    /// The full commit id (copyable).
    pub sha: String,
    /// The id of the element that shows `sha` (for its Copy button).
    pub copy_id: String,
    /// Its first seven characters.
    pub short: String,
    /// The commit's first line ("" when it is no commit here).
    pub summary: String,
    /// The commit's author ("" when unknown).
    pub author: String,
    /// The commit's author date.
    pub date: Option<TimeView>,
    /// When it is removed; `None`: kept for ever.
    pub expires: Option<TimeView>,
}

impl KeptRow {
    /// The rows of `kept` (newest first), each with its commit from `commits`.
    #[must_use]
    pub fn all(kept: Vec<KeptView>, commits: &HashMap<String, KeptCommit>) -> Vec<Self> {
        let now = Utc::now();
        kept.into_iter()
            .enumerate()
            .map(|(n, k)| {
                let commit = commits.get(&k.sha);
                Self {
                    run_id: k.run_id,
                    copy_id: format!("kept-sha-{n}"),
                    short: k.sha.chars().take(7).collect(),
                    summary: commit.map(|c| c.summary.clone()).unwrap_or_default(),
                    author: commit.map(|c| c.author.clone()).unwrap_or_default(),
                    date: commit
                        .and_then(|c| DateTime::<Utc>::from_timestamp(c.time, 0))
                        .map(|at| TimeView::new(at, now)),
                    expires: k.expires_at.map(|at| TimeView::upcoming(at, now)),
                    reference: k.reference,
                    sha: k.sha,
                }
            })
            .collect()
    }
}

/// The chart, the run history and the kept refs, ready to be put into the page.
#[derive(Template)]
#[template(path = "mirror/partials/runs.html")]
pub struct HistorySection {
    /// The last runs as a chart.
    pub chart: RunChart,
    /// One page of the run history.
    pub history: RunHistory,
    /// The kept refs, newest first.
    pub kept: Vec<KeptRow>,
}
