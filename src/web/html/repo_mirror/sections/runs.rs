//! The history section of the mirror settings page: the last runs as a chart, then one page
//! of the run history (which its own fragment route also renders alone).

use askama::Template;

use crate::web::html::repo_mirror::{history::RunHistory, run_chart::RunChart};

/// The chart and the run history, ready to be put into the page.
#[derive(Template)]
#[template(path = "mirror/partials/runs.html")]
pub struct HistorySection {
    /// The last runs as a chart.
    pub chart: RunChart,
    /// One page of the run history.
    pub history: RunHistory,
}
