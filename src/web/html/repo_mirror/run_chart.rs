//! The run chart of the mirror settings page: the geometry of a small inline SVG (one bar per
//! run for its duration, one below for its bytes, oldest left) and its one-line summary, all
//! computed here from plain numbers so the template only prints them.

use super::sync_widget::human_bytes;
use crate::entities::mirror_enums::RunStatus;

/// The most runs the chart shows.
pub const MAX_RUNS: usize = 50;

/// Width of one run's slot in the view box.
const SLOT: u32 = 8;
/// Width of one bar (the rest of the slot is the gap).
const BAR: u32 = 6;
/// Height of the duration row.
const DURATION_ROW: u32 = 60;
/// Space between the two rows.
const GAP: u32 = 6;
/// Height of the bytes row.
const BYTES_ROW: u32 = 24;

/// Fill of a run that changed refs.
const COLOUR_OK: &str = "#0b5cad";
/// Fill of a run that found nothing to change.
const COLOUR_MUTED: &str = "#afb8c1";
/// Fill of a run that failed, was interrupted or cancelled.
const COLOUR_FAILED: &str = "#b42318";
/// Fill of a run still going.
const COLOUR_RUNNING: &str = "#7fb2e5";

/// One run as the chart reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunPoint {
    /// How it ended, or that it runs.
    pub status: RunStatus,
    /// How long it took (so far, while it runs), in milliseconds.
    pub duration_ms: i64,
    /// Bytes transferred.
    pub bytes: i64,
}

/// One run's two bars, in view-box units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// Left edge.
    pub x: u32,
    /// Width of both bars.
    pub width: u32,
    /// Top of the duration bar.
    pub duration_y: u32,
    /// Height of the duration bar (at least 1, so every run shows).
    pub duration_height: u32,
    /// Top of the bytes bar.
    pub bytes_y: u32,
    /// Height of the bytes bar (0 when nothing moved).
    pub bytes_height: u32,
    /// `ok`, `muted`, `failed` or `running`: a class name.
    pub kind: &'static str,
    /// The fill colour, so the chart reads right without the style sheet.
    pub fill: &'static str,
    /// The tooltip: "Run 3 of 12: Failed, 2.1 s, 1.2 MiB".
    pub title: String,
}

/// The chart, ready for the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunChart {
    /// One per run, oldest first (left).
    pub bars: Vec<Bar>,
    /// View-box width.
    pub width: u32,
    /// View-box height.
    pub height: u32,
    /// Top of the bytes row (for its base line).
    pub bytes_top: u32,
    /// Base line of the duration row.
    pub duration_base: u32,
    /// The one-line summary shown under the chart and read by screen readers; "No runs yet."
    /// when there are none.
    pub caption: String,
}

impl RunChart {
    /// The chart of `newest_first` (as the history reads them), at most [`MAX_RUNS`] of them.
    #[must_use]
    pub fn new(newest_first: &[RunPoint]) -> Self {
        let shown: Vec<RunPoint> = newest_first.iter().take(MAX_RUNS).rev().copied().collect();
        let count = u32::try_from(shown.len()).unwrap_or(0);
        let slots = u32::try_from(MAX_RUNS).unwrap_or(50);
        let max_ms = shown
            .iter()
            .map(|r| r.duration_ms.max(0))
            .max()
            .unwrap_or(0);
        let max_bytes = shown.iter().map(|r| r.bytes.max(0)).max().unwrap_or(0);
        let bytes_top = DURATION_ROW + GAP;
        let bars = shown
            .iter()
            .zip(0u32..)
            .map(|(run, i)| {
                let duration_height = scale(run.duration_ms, max_ms, DURATION_ROW).max(1);
                let bytes_height = scale(run.bytes, max_bytes, BYTES_ROW);
                let (kind, fill) = look(run.status);
                Bar {
                    // Newest at the right edge whatever the count, so the chart reads the
                    // same way from one visit to the next.
                    x: (slots - count + i) * SLOT + (SLOT - BAR) / 2,
                    width: BAR,
                    duration_y: DURATION_ROW - duration_height,
                    duration_height,
                    bytes_y: bytes_top,
                    bytes_height,
                    kind,
                    fill,
                    title: format!(
                        "Run {} of {count}: {}, {}, {}",
                        i + 1,
                        status_words(run.status),
                        duration_words(run.duration_ms),
                        human_bytes(u64::try_from(run.bytes).unwrap_or(0)),
                    ),
                }
            })
            .collect();
        Self {
            bars,
            width: slots * SLOT,
            height: bytes_top + BYTES_ROW,
            bytes_top,
            duration_base: DURATION_ROW,
            caption: caption(&shown),
        }
    }

    /// Whether there is nothing to draw.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }
}

/// `value` of `max` as a height out of `room`, rounded; 0 when `max` is 0.
fn scale(value: i64, max: i64, room: u32) -> u32 {
    if max <= 0 {
        return 0;
    }
    let value = i128::from(value.clamp(0, max));
    let scaled = (value * i128::from(room) + i128::from(max) / 2) / i128::from(max);
    u32::try_from(scaled).unwrap_or(room)
}

/// The class and colour of a run with `status`.
fn look(status: RunStatus) -> (&'static str, &'static str) {
    match status {
        RunStatus::Success => ("ok", COLOUR_OK),
        RunStatus::UpToDate => ("muted", COLOUR_MUTED),
        RunStatus::Failed | RunStatus::Interrupted | RunStatus::Cancelled => {
            ("failed", COLOUR_FAILED)
        }
        RunStatus::Running => ("running", COLOUR_RUNNING),
    }
}

/// A status in words, for a tooltip.
fn status_words(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running => "Running",
        RunStatus::Success => "Success",
        RunStatus::UpToDate => "Up to date",
        RunStatus::Failed => "Failed",
        RunStatus::Interrupted => "Interrupted",
        RunStatus::Cancelled => "Cancelled",
    }
}

/// "340 ms", "2.1 s", "3 min 4 s", "2 h 5 min" (the run history says it the same way).
pub(super) fn duration_words(ms: i64) -> String {
    let ms = ms.max(0);
    match ms {
        m if m < 1_000 => format!("{m} ms"),
        m if m < 60_000 => format!("{}.{} s", m / 1_000, (m % 1_000) / 100),
        m if m < 3_600_000 => format!("{} min {} s", m / 60_000, (m % 60_000) / 1_000),
        m => format!("{} h {} min", m / 3_600_000, (m % 3_600_000) / 60_000),
    }
}

/// "Last 12 runs: 10 succeeded (4 up to date), 2 failed, median 2.1 s."
fn caption(runs: &[RunPoint]) -> String {
    if runs.is_empty() {
        return "No runs yet.".to_owned();
    }
    let count = |f: fn(RunStatus) -> bool| runs.iter().filter(|r| f(r.status)).count();
    let succeeded = count(|s| matches!(s, RunStatus::Success | RunStatus::UpToDate));
    let up_to_date = count(|s| s == RunStatus::UpToDate);
    let failed = count(|s| matches!(s, RunStatus::Failed | RunStatus::Interrupted));
    let cancelled = count(|s| s == RunStatus::Cancelled);
    let running = count(|s| s == RunStatus::Running);
    let mut parts = vec![format!("{succeeded} succeeded")];
    if up_to_date > 0 {
        parts[0].push_str(&format!(" ({up_to_date} up to date)"));
    }
    parts.push(format!("{failed} failed"));
    if cancelled > 0 {
        parts.push(format!("{cancelled} cancelled"));
    }
    if running > 0 {
        parts.push(format!("{running} running"));
    }
    let mut ended: Vec<i64> = runs
        .iter()
        .filter(|r| r.status != RunStatus::Running)
        .map(|r| r.duration_ms.max(0))
        .collect();
    ended.sort_unstable();
    if let Some(median) = median(&ended) {
        parts.push(format!("median {}", duration_words(median)));
    }
    let runs_word = if runs.len() == 1 { "run" } else { "runs" };
    format!("Last {} {runs_word}: {}.", runs.len(), parts.join(", "))
}

/// The median of sorted `values` (the mean of the middle two for an even count).
fn median(sorted: &[i64]) -> Option<i64> {
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => sorted.get(mid).copied(),
        _ => Some((sorted.get(mid - 1)? + sorted.get(mid)?) / 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(status: RunStatus, duration_ms: i64, bytes: i64) -> RunPoint {
        RunPoint {
            status,
            duration_ms,
            bytes,
        }
    }

    #[test]
    fn no_runs_is_a_sentence_and_no_bars() {
        let chart = RunChart::new(&[]);
        assert!(chart.is_empty());
        assert_eq!(chart.caption, "No runs yet.");
    }

    #[test]
    fn the_longest_run_fills_its_row_and_the_others_scale() {
        // Newest first, as the history reads them.
        let chart = RunChart::new(&[
            run(RunStatus::Success, 1_000, 0),
            run(RunStatus::Success, 4_000, 2_048),
            run(RunStatus::Success, 2_000, 1_024),
        ]);
        let heights: Vec<u32> = chart.bars.iter().map(|b| b.duration_height).collect();
        assert_eq!(heights, [30, 60, 15], "oldest left");
        let bytes: Vec<u32> = chart.bars.iter().map(|b| b.bytes_height).collect();
        assert_eq!(bytes, [12, 24, 0]);
        for bar in &chart.bars {
            assert_eq!(bar.duration_y + bar.duration_height, chart.duration_base);
            assert_eq!(bar.bytes_y, chart.bytes_top);
            assert!(bar.bytes_y + bar.bytes_height <= chart.height);
        }
        // The newest sits at the right edge.
        let last = chart.bars.last().unwrap();
        assert_eq!(last.x + last.width + 1, chart.width);
        assert_eq!(chart.bars[1].x + SLOT, last.x);
    }

    #[test]
    fn an_instant_run_still_shows_and_zero_everything_does_not_divide_by_zero() {
        let chart = RunChart::new(&[run(RunStatus::UpToDate, 0, 0)]);
        assert_eq!(chart.bars[0].duration_height, 1);
        assert_eq!(chart.bars[0].bytes_height, 0);
        let odd = RunChart::new(&[
            run(RunStatus::Success, -5, -1),
            run(RunStatus::Success, 10, 1),
        ]);
        assert_eq!(odd.bars[1].duration_height, 1, "negative reads as nothing");
    }

    #[test]
    fn colours_follow_the_status() {
        let chart = RunChart::new(&[
            run(RunStatus::Running, 1, 0),
            run(RunStatus::Cancelled, 1, 0),
            run(RunStatus::Interrupted, 1, 0),
            run(RunStatus::Failed, 1, 0),
            run(RunStatus::UpToDate, 1, 0),
            run(RunStatus::Success, 1, 0),
        ]);
        let kinds: Vec<&str> = chart.bars.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            ["ok", "muted", "failed", "failed", "failed", "running"]
        );
        assert_eq!(chart.bars[0].fill, COLOUR_OK);
        assert_eq!(chart.bars[1].fill, COLOUR_MUTED);
        assert_eq!(chart.bars[2].fill, COLOUR_FAILED);
        assert_eq!(chart.bars[2].title, "Run 3 of 6: Failed, 1 ms, 0 B");
    }

    #[test]
    fn at_most_fifty_runs_the_newest_ones() {
        let mut runs = vec![run(RunStatus::Failed, 9_000, 0)];
        runs.extend((0..60).map(|_| run(RunStatus::Success, 1_000, 10)));
        let chart = RunChart::new(&runs);
        assert_eq!(chart.bars.len(), MAX_RUNS);
        assert_eq!(chart.bars.first().unwrap().x, 1, "fifty fill the width");
        assert_eq!(chart.bars.last().unwrap().kind, "failed", "the newest kept");
        assert!(
            chart
                .caption
                .starts_with("Last 50 runs: 49 succeeded, 1 failed")
        );
        assert!(
            chart.width <= 400,
            "fits a phone with a 390 px wide view box scaled"
        );
    }

    #[test]
    fn the_caption_counts_and_gives_the_median() {
        let chart = RunChart::new(&[
            run(RunStatus::Success, 2_100, 0),
            run(RunStatus::UpToDate, 1_000, 0),
            run(RunStatus::Failed, 5_000, 0),
            run(RunStatus::Cancelled, 3_000, 0),
            run(RunStatus::Running, 99_000, 0),
        ]);
        assert_eq!(
            chart.caption,
            "Last 5 runs: 2 succeeded (1 up to date), 1 failed, 1 cancelled, 1 running, \
             median 2.5 s."
        );
        assert_eq!(
            RunChart::new(&[run(RunStatus::Success, 340, 0)]).caption,
            "Last 1 run: 1 succeeded, 0 failed, median 340 ms."
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_words(340), "340 ms");
        assert_eq!(duration_words(2_150), "2.1 s");
        assert_eq!(duration_words(184_000), "3 min 4 s");
        assert_eq!(duration_words(7_500_000), "2 h 5 min");
    }
}
